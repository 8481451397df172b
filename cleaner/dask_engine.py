"""An engine on a Dask cluster: the same stages, scheduled by ``distributed`` on many machines.

:class:`DaskEngine` keeps :class:`cleaner.engine.Engine`'s contract on a
``distributed.Client``: items go to the cluster in tasks, each of as many consecutive items
as last about a fifth of a second at the rate measured so far (one, until a task has come
back: a batch of files is one task, a part of the rows to apply the decisions to a few
dozen), at most :data:`cleaner.engine.AHEAD` tasks a worker submitted ahead of the consumer
(counting results not yet consumed; the cluster's threads, counted again as workers come
and go), the results taken back in input order.
A task holds only what its items hold (batches of paths, shards' names), never the data: the
workers read the files themselves, from a folder every machine sees.

A worker that dies (killed, out of memory, its machine gone) costs the tasks it held, not the
run: the scheduler runs them again on another worker, and since a task is a pure function of
its item, the result is the same. Dask counts the workers that died while running a task and
gives up past ``distributed.scheduler.allowed-failures`` (3 by default, set on the scheduler):
then, or when the scheduler itself is lost, the run stops with :class:`WorkerLost`. Dask's
``retries=`` is not used: it retries a task whose function raised, and a stage's exception is
a bug or a usage error that a second try would only repeat.

:func:`dask_engine` opens the engine a run uses: on a ``distributed.LocalCluster`` of worker
processes of this machine, or on an existing cluster given its scheduler's address. Dask is
imported by these calls only, so that the commands that never use it do not load it.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Generic, TypeVar

from cleaner.engine import AHEAD, default_workers
from cleaner.errors import InputError, WorkerLost
from cleaner.stops import STOPS, raise_swallowed, stops_held

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster
    from distributed.security import Security

T = TypeVar("T")
R = TypeVar("R")

# The client's wait for a scheduler that does not answer: long enough for a busy machine,
# short enough that a wrong address is a prompt error.
_CONNECT_SECONDS = 10
# Workers join and leave a cluster during a run (a batch system starts them as jobs): how
# many tasks to keep ahead is counted again this often, not at every result (a round trip).
_RECOUNT_SECONDS = 1.0
# Dask spends a few milliseconds on each task (the scheduler's bookkeeping, the result
# fetched back), which on a step of many small items (applying the decisions to each part of
# the rows) was most of its time: a task takes as many items as last about this long. Short
# enough that the workers still finish a map together.
_TASK_SECONDS = 0.2
_MOST_ITEMS = 256  # items of a task, whatever they cost: each is a result held until taken


class DaskEngine:
    """Tasks on the cluster behind a ``distributed.Client``."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.address = str(getattr(client.scheduler, "address", "?"))  # for a lost scheduler
        self.tasks = 0  # submitted so far

    @property
    def workers(self) -> int:
        """The cluster's threads, all workers together, at this moment."""
        threads: dict[str, int] = self.client.nthreads()
        return max(1, sum(threads.values()))

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        from distributed import KilledWorker

        in_flight: deque[Future[_Group[R]]] = deque()
        own: Exception | None = None  # the function's exception, raised in its turn
        sizing = _Sizing()
        try:
            pending = iter(items)
            counted = -_RECOUNT_SECONDS
            while True:
                if time.monotonic() - counted >= _RECOUNT_SECONDS:
                    ahead, counted = AHEAD * self.workers, time.monotonic()
                while len(in_flight) < ahead:
                    group = list(islice(pending, sizing.items()))
                    if not group:
                        break
                    # pure=False: two equal groups are still two tasks, each with its result
                    in_flight.append(self.client.submit(_each, function, group, pure=False))
                    self.tasks += 1
                if not in_flight:
                    return
                try:
                    done = in_flight[0].result()
                except Exception as exc:
                    if in_flight[0].status == "error" and not isinstance(exc, KilledWorker):
                        own = exc  # a result that does not pickle, say
                    raise
                in_flight.popleft()
                sizing.add(len(done.results), done.seconds)
                raise_swallowed()  # a stop swallowed while it waited (see cleaner.stops)
                yield from done.results
                if done.error is not None:
                    own = done.error
                    raise own
        except KilledWorker as exc:
            times = "once" if exc.allowed_failures == 0 else f"{exc.allowed_failures + 1} times"
            raise WorkerLost(f"a task killed its Dask worker {times} (out of memory?)") from None
        except Exception as exc:
            if exc is own:
                raise
            # cancelled, or a connection closed: the scheduler has gone, or this client with it
            raise WorkerLost(f"lost the Dask scheduler at {self.address}") from None
        finally:  # including GeneratorExit: the consumer has stopped listening
            if in_flight and self.client.status == "running":
                with suppress(Exception):
                    self.client.cancel(list(in_flight), force=True)


@dataclass
class _Group(Generic[R]):
    """What a task hands back: the results of its items, in order, up to the first that
    raised (``error``), and the seconds they took."""

    results: list[R]
    error: Exception | None
    seconds: float


def _each(function: Callable[[T], R], items: list[T]) -> _Group[R]:
    """A task: ``function`` over a group of items, one after another."""
    started = time.perf_counter()
    results = []
    try:
        for item in items:
            results.append(function(item))
    except Exception as exc:
        return _Group(results, exc, time.perf_counter() - started)
    return _Group(results, None, time.perf_counter() - started)


@dataclass
class _Sizing:
    """How many items the next task gets: enough for about :data:`_TASK_SECONDS` of work at
    the rate the map's tasks have run so far; one while none has come back."""

    items_done: int = 0
    seconds: float = 0.0

    def add(self, items: int, seconds: float) -> None:
        self.items_done += items
        self.seconds += seconds

    def items(self) -> int:
        if not self.items_done:
            return 1
        per_item = self.seconds / self.items_done
        return max(1, min(_MOST_ITEMS, int(_TASK_SECONDS / per_item) if per_item else _MOST_ITEMS))


@contextmanager
def dask_engine(scheduler: str | None = None, workers: int = 0) -> Iterator[DaskEngine]:
    """A :class:`DaskEngine` on the cluster whose scheduler listens at ``scheduler``
    (``tcp://host:8786``, ``tls://...`` with Dask's TLS settings), or, without one, on a
    ``LocalCluster`` of ``workers`` processes of one thread each (0: one per core), shut down
    on leaving. Raises :class:`cleaner.InputError` when Dask is not installed or the scheduler
    cannot be reached."""
    try:
        from distributed import Client
        from distributed.utils import silence_logging_cmgr
    except ImportError:
        raise InputError("a Dask engine needs Dask: pip install 'cleaner[dask]'") from None

    with ExitStack() as stack:
        # Dask logs the workers it loses and the scheduler it cannot reach, with tracebacks:
        # what the run needs to know of them reaches it as a WorkerLost.
        stack.enter_context(silence_logging_cmgr(logging.CRITICAL))
        if scheduler is None:
            stack.callback(_reap_resource_tracker)
            # A stop while the cluster starts waits until it runs, then ends the run as
            # anywhere else, its workers killed: LocalCluster cannot be interrupted halfway
            # without leaving workers behind.
            with stops_held():
                cluster = stack.enter_context(_local_cluster(workers or default_workers()))
                stack.push(partial(_kill_on_error, cluster))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                security = _client_security(scheduler)
                client = stack.enter_context(
                    Client(scheduler, timeout=_CONNECT_SECONDS, security=security)
                )
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        yield DaskEngine(client)


def _local_cluster(workers: int) -> LocalCluster:
    """A LocalCluster of ``workers`` processes of one thread each, forked from this one.

    Forked, not spawned (Dask's default): a spawned worker starts a new interpreter and
    imports Dask and then the stages, two or three seconds on every run, where a forked one
    has them already and starts in a tenth of that. Forking takes a copy of this process's
    signal handlers (a stop noted, not raised, while the cluster starts: see
    :func:`cleaner.stops.stops_held`) until :func:`dask_setup` ignores stops. A worker that
    the nanny restarts later, in the middle of a run, is spawned as usual: by then this
    process holds open output files and their locks, which a fork would carry into it.
    """
    import dask
    from distributed import LocalCluster

    # What the tasks run, with Arrow and pandas, imported before the workers fork, so that
    # each has them: otherwise each worker's first task imports them, a second or two.
    import cleaner.chain
    import cleaner.corpus_steps  # noqa: F401

    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            # This machine only, on free ports (other clusters may run here)
            host="127.0.0.1",
            # Its HTTP server (the dashboard's, when bokeh is installed) on a free port: with
            # None, Dask still starts one, on 8787 if free, saying so on stderr if not.
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.CRITICAL,  # in the workers, as above
            preload=[__name__],  # dask_setup, in each worker, restarted ones too
        )


def _kill_on_error(cluster: LocalCluster, kind: type[BaseException] | None, *_: object) -> None:
    if kind is not None:
        _kill_workers(cluster)


def _client_security(scheduler: str) -> Security:
    """Dask's security settings for a client of ``scheduler``, read from its configuration
    (``distributed.comm.tls.*``, ``distributed.comm.require-encryption``), checked against the
    address's scheme before connecting: Dask itself finds a ``tls://`` address without TLS
    settings, or a ``tcp://`` one when encryption is required, only deep in its connection
    code, with an exception that names neither the setting nor the address."""
    from distributed.comm.addressing import parse_address
    from distributed.security import Security

    security = Security()
    scheme, _ = parse_address(scheduler)
    if scheme == "tls" and security.get_connection_args("client")["ssl_context"] is None:
        raise InputError(
            f"the Dask scheduler at {scheduler} needs TLS settings for the client: "
            "distributed.comm.tls.ca-file, .client.cert and .client.key "
            "(README: Running on a cluster, TLS)"
        )
    if scheme != "tls" and security.require_encryption:
        raise InputError(
            f"Dask's settings require encryption (distributed.comm.require-encryption), "
            f"and {scheduler} is not a tls:// address"
        )
    return security


def _kill_workers(cluster: LocalCluster) -> None:
    """Kill a local cluster's worker processes, as :class:`cleaner.LocalPool` kills its own
    when a run stops early: a task in hand can take minutes, and a worker closing gracefully
    waits for it. Their nannies are told first, so that they do not start new ones."""
    for nanny in cluster.workers.values():
        nanny.close_gracefully("cleaner stopped")
        if nanny.pid is not None:
            with suppress(ProcessLookupError):
                os.kill(nanny.pid, signal.SIGKILL)


def dask_setup(worker: object) -> None:
    """Run by each worker of :func:`dask_engine`'s LocalCluster as it starts (a Dask preload).

    Its workers are processes of the terminal's process group: a Ctrl-C reaches them with
    this process. It is this process's to handle (it cancels the tasks and shuts the cluster
    down), not theirs to print a traceback for each.
    """
    for stop in STOPS:
        signal.signal(stop, signal.SIG_IGN)


def _reap_resource_tracker() -> None:
    """Stop multiprocessing's resource tracker, started with a local cluster's first worker,
    once no child process is left to use it.

    It exits when it reads the end of its pipe, which comes when this process exits: it would
    outlive the run by a moment, and whoever waits for the run's process group (a terminal, a
    supervisor) would wait for it too. Stopping it waits until every process holding its pipe
    has gone: never while a child is alive (another cluster, a pool). It starts again with the
    next process spawned, if any.
    """
    import multiprocessing
    from multiprocessing import resource_tracker

    stop = getattr(getattr(resource_tracker, "_resource_tracker", None), "_stop", None)
    if stop is not None and not multiprocessing.active_children():
        stop()

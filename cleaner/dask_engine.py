"""An engine on a Dask cluster: the same stages, scheduled by ``distributed`` on many machines.

:class:`DaskEngine` keeps :class:`cleaner.engine.Engine`'s contract on a
``distributed.Client``: each item is a task, at most ``2 * workers`` of them submitted ahead
of the consumer (counting results not yet consumed; the cluster's threads, counted again
as workers come and go), the results taken back in input order.
A task holds only what the item holds (a batch of paths, a shard's name), never the data: the
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
from typing import TYPE_CHECKING, Any, TypeVar

from cleaner.engine import default_workers
from cleaner.errors import InputError, WorkerLost
from cleaner.stops import STOPS

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster
    from distributed.security import Security

T = TypeVar("T")
R = TypeVar("R")

_END: Any = object()
# The client's wait for a scheduler that does not answer: long enough for a busy machine,
# short enough that a wrong address is a prompt error.
_CONNECT_SECONDS = 10
# Workers join and leave a cluster during a run (a batch system starts them as jobs): how
# many tasks to keep ahead is counted again this often, not at every result (a round trip).
_RECOUNT_SECONDS = 1.0


class DaskEngine:
    """Tasks on the cluster behind a ``distributed.Client``."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.address = str(getattr(client.scheduler, "address", "?"))  # for a lost scheduler

    @property
    def workers(self) -> int:
        """The cluster's threads, all workers together, at this moment."""
        threads: dict[str, int] = self.client.nthreads()
        return max(1, sum(threads.values()))

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        from distributed import KilledWorker

        in_flight: deque[Future[R]] = deque()
        own: Exception | None = None  # the function's exception, raised in its turn
        try:
            pending = iter(items)
            counted = -_RECOUNT_SECONDS
            while True:
                if time.monotonic() - counted >= _RECOUNT_SECONDS:
                    ahead, counted = 2 * self.workers, time.monotonic()
                while len(in_flight) < ahead:
                    item = next(pending, _END)
                    if item is _END:
                        break
                    # pure=False: two equal items are still two tasks, each with its result
                    in_flight.append(self.client.submit(function, item, pure=False))
                if not in_flight:
                    return
                try:
                    result = in_flight[0].result()
                except Exception as exc:
                    if in_flight[0].status == "error" and not isinstance(exc, KilledWorker):
                        own = exc
                    raise
                in_flight.popleft()
                yield result
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


@contextmanager
def dask_engine(scheduler: str | None = None, workers: int = 0) -> Iterator[DaskEngine]:
    """A :class:`DaskEngine` on the cluster whose scheduler listens at ``scheduler``
    (``tcp://host:8786``, ``tls://...`` with Dask's TLS settings), or, without one, on a
    ``LocalCluster`` of ``workers`` processes of one thread each (0: one per core), shut down
    on leaving. Raises :class:`cleaner.InputError` when Dask is not installed or the scheduler
    cannot be reached."""
    try:
        from distributed import Client, LocalCluster
        from distributed.utils import silence_logging_cmgr
    except ImportError:
        raise InputError("a Dask engine needs Dask: pip install 'cleaner[dask]'") from None

    with ExitStack() as stack:
        # Dask logs the workers it loses and the scheduler it cannot reach, with tracebacks:
        # what the run needs to know of them reaches it as a WorkerLost.
        stack.enter_context(silence_logging_cmgr(logging.CRITICAL))
        if scheduler is None:
            stack.callback(_reap_resource_tracker)
            with _stops_ignored():
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers or default_workers(),
                        threads_per_worker=1,
                        processes=True,
                        # This machine only, on free ports (other clusters may run here)
                        host="127.0.0.1",
                        dashboard_address="127.0.0.1:0",
                        silence_logs=logging.CRITICAL,  # in the workers, as above
                        preload=[__name__],  # dask_setup, in each worker, restarted ones too
                    )
                )
            client = stack.enter_context(Client(cluster))
        else:
            cluster = None
            try:
                security = _client_security(scheduler)
                client = stack.enter_context(
                    Client(scheduler, timeout=_CONNECT_SECONDS, security=security)
                )
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield DaskEngine(client)
        except BaseException:
            if cluster is not None:
                _kill_workers(cluster)
            raise


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


@contextmanager
def _stops_ignored() -> Iterator[None]:
    """SIGINT and SIGTERM ignored while a local cluster starts (a second or two).

    Its worker processes inherit the setting: one born before its preload
    (:func:`dask_setup`) has run would otherwise die of a Ctrl-C with a traceback of its own.
    A stop in that moment is lost: no other setting reaches a spawned process (a handler
    does not survive ``exec``, and the cluster's thread that spawns them runs unblocked).
    """
    previous = {stop: signal.signal(stop, signal.SIG_IGN) for stop in STOPS}
    try:
        yield
    finally:
        for stop, action in previous.items():
            signal.signal(stop, action)

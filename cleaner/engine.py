"""Engines schedule the stages; they never change what the stages compute.

An :class:`Engine` maps a plain function over items and yields the results in input order,
so the output is the same whatever runs it and however many workers it has. Stages know
nothing of engines; :func:`cleaner.clean` and :func:`cleaner.merge` take one as an object.
:class:`InProcess` runs everything in this process; :class:`LocalPool` in worker processes
of its own on this machine, at most :data:`AHEAD` items a worker ahead of the consumer
(counting results not yet consumed), which keeps memory bounded however large the input. A
new item goes to the worker with the fewest in hand, so one heavy batch does not hold up the
batches behind it.

Each worker is a process of the engine's own with two pipes that nothing else holds: one
brings its batches, one takes its results back. Nothing stands between the engine and a
worker -- no shared queue, no thread of the engine's -- so there is nothing a worker can
leave waiting when it dies: whatever kills it, even in the middle of sending a large result,
closes its end of the result pipe, and the engine reads the end of the pipe at once and
raises :class:`WorkerLost`.

When the consumer stops early (an error, Ctrl-C) the workers are killed, not waited for: a
batch can take minutes, and the caller wants out now; killing and reaping a process never
waits on a pipe. Workers ignore SIGINT and SIGTERM, which a terminal or a supervisor may send
to the whole process group, so that the signal is handled once, by this process, which then
kills them, instead of each worker dying with a traceback of its own. A worker whose parent
is gone (killed outright: SIGKILL, the out-of-memory killer) reads the end of its batch pipe
and exits at once instead of waiting for work forever.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from queue import SimpleQueue
from typing import Any, Generic, Protocol, TypeVar, cast

from cleaner.errors import WorkerLost
from cleaner.stops import STOPS, raise_swallowed, stops_held

T = TypeVar("T")
R = TypeVar("R")

# Workers start by forking: they need nothing pickled but their batches, and start at once.
_FORK = multiprocessing.get_context("fork")
_REAP_SECONDS = 1.0  # how long a stop waits for killed workers to be reaped, all together
# Items handed out ahead of the consumer, per worker, counting results not yet consumed.
# Results come back in order, so a worker that has finished its items waits while the one
# ahead of it works on a slower item; two per worker left one of two workers idle a sixth of
# the time on the bench folder, eight none. Items and results are descriptions (paths,
# counts), never the data, so holding more of them costs no memory worth counting.
AHEAD = 8


class Engine(Protocol):
    """Runs a plain, picklable function over items; the contract every engine keeps.

    ``map`` takes the items lazily (an input walked while the first batches are at work) and
    yields the results in the items' order. A function's exception is raised in its turn,
    after the results before it; a worker that dies raises :class:`WorkerLost`. Closing the
    iterator early stops the work in hand at once.
    """

    @property
    def workers(self) -> int:
        """How many items run at the same time."""
        ...

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...


class InProcess:
    """Everything in the calling process, one item after another."""

    workers = 1

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        return map(function, items)


class LocalPool:
    """Worker processes of this machine; one worker is :class:`InProcess`."""

    def __init__(self, workers: int = 0) -> None:
        """``workers``: how many processes; 0 means one per core this process may use."""
        self.workers = workers or default_workers()

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        crew: list[_Worker[T, R]] = []
        try:
            results: Iterator[R] = (
                _in_order(function, iter(items), self.workers, crew)
                if self.workers > 1
                else map(function, items)
            )
            for result in results:
                raise_swallowed()  # a stop swallowed while it waited (see cleaner.stops)
                yield result
        finally:  # including GeneratorExit: the consumer has stopped listening
            _stop(crew)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class _Batch(Generic[R]):
    """A batch handed to a worker, and its result (or error) once it is back."""

    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None

    def value(self) -> R:
        if self.error is not None:
            raise self.error
        return cast(R, self.result)


class _Worker(Generic[T, R]):
    def __init__(self, function: Callable[[T], R], others: list[Connection]) -> None:
        self.child_batches, self.batches = _FORK.Pipe(duplex=False)
        self.results, self.child_results = _FORK.Pipe(duplex=False)
        # The child closes every end that is not its own, this engine's and its elders':
        # were a worker to hold another's batch pipe, that one would never see it end.
        theirs = [self.batches, self.results, *others]
        self.process = _FORK.Process(
            target=_work, args=(function, self.child_batches, self.child_results, theirs)
        )
        self.held: deque[_Batch[R]] = deque()  # sent, result not yet back, in order

    def start(self) -> None:
        # A stop raised in the middle of a fork is lost (inside fork's hooks) or loses the
        # worker (before its process handle is kept); and the child runs this process's
        # handlers until it ignores both signals, so they must not raise there either.
        with stops_held():
            self.process.start()
        self.child_batches.close()
        self.child_results.close()

    def send(self, batch: T) -> _Batch[R]:
        try:
            self.batches.send(batch)
        except OSError:  # a broken pipe: the worker is gone
            raise self.lost() from None
        slot: _Batch[R] = _Batch()
        self.held.append(slot)
        return slot

    def receive(self) -> None:
        try:
            succeeded, value = self.results.recv()
        except (EOFError, OSError):  # the end of the pipe, whole or in the middle of a result
            raise self.lost() from None
        slot = self.held.popleft()
        if succeeded:
            slot.result = value
        else:  # raised in its turn, after the results of the batches before it
            slot.error = value
        slot.done = True

    def lost(self) -> WorkerLost:
        self.process.join(_REAP_SECONDS)
        code = self.process.exitcode
        how = f"exit status {code}"
        if code is not None and code < 0:
            how = "killed by " + next((s.name for s in signal.Signals if s == -code), str(-code))
        return WorkerLost(f"a worker process died ({how}; out of memory?)")


def _in_order(
    function: Callable[[T], R], batches: Iterator[T], workers: int, crew: list[_Worker[T, R]]
) -> Iterator[R]:
    in_flight: deque[_Batch[R]] = deque()
    more = True
    while more or in_flight:
        while more and len(in_flight) < AHEAD * workers:
            batch = next(batches, _END)
            if batch is _END:
                more = False
                break
            if len(crew) < workers:
                crew.append(_Worker(function, [c for w in crew for c in (w.batches, w.results)]))
                crew[-1].start()  # once in the crew, where a stop will find it
            in_flight.append(min(crew, key=lambda w: len(w.held)).send(batch))
        while in_flight and in_flight[0].done:
            yield in_flight.popleft().value()
        if in_flight:
            ready = wait([worker.results for worker in crew if worker.held])
            for worker in crew:
                if worker.results in ready:
                    worker.receive()


_END: Any = object()


def _work(
    function: Callable[[Any], Any],
    batches: Connection,
    results: Connection,
    theirs: list[Connection],
) -> None:
    for stop in STOPS:  # held back while it was born (see stops_held)
        signal.signal(stop, signal.SIG_IGN)
    for end in theirs:
        end.close()
    # Batches are taken off the pipe as they come, so the engine never waits to hand one
    # over while this worker waits to hand a large result back.
    queue: SimpleQueue[Any] = SimpleQueue()
    threading.Thread(target=_take, args=(batches, queue), daemon=True).start()
    while True:
        batch = queue.get()
        try:
            outcome = (True, function(batch))
        except Exception as exc:
            outcome = (False, exc)
        try:
            message = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        except Exception:  # a result or an error that does not pickle: say what it was
            message = pickle.dumps((False, RuntimeError(traceback.format_exc())))
        try:
            results.send_bytes(message)
        except OSError:  # the engine's end is closed: it has stopped, or its process is gone
            os._exit(0)


def _take(batches: Connection, queue: SimpleQueue[Any]) -> None:
    while True:
        try:
            queue.put(batches.recv())
        except (EOFError, OSError):  # the engine has stopped, or its process is gone
            os._exit(0)


def _stop(crew: list[_Worker[Any, Any]]) -> None:
    """Kill the workers and reap them; nothing here reads a pipe, so nothing here can hang."""
    started = [worker for worker in crew if worker.process.pid is not None]
    for worker in started:
        worker.process.kill()
    deadline = time.monotonic() + _REAP_SECONDS
    for worker in started:
        worker.process.join(max(0.0, deadline - time.monotonic()))
    for worker in crew:
        for end in (worker.batches, worker.results, worker.child_batches, worker.child_results):
            end.close()

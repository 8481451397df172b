"""Engines schedule the stages; they never change what the stages compute.

``run`` maps a function over batches and yields the results in input order, so the output
is the same whatever the number of workers. With one worker everything runs in this
process; with more, a local process pool runs at most ``2 * workers`` batches ahead of the
consumer, which keeps memory bounded however large the input.

When the consumer stops early (an error, Ctrl-C) the pool's workers are killed rather than
waited for: a batch can take minutes, and the caller wants out now. Workers ignore SIGINT and
SIGTERM, which a terminal or a supervisor may send to the whole process group, so that the
signal is handled once, by this process, which then kills them, instead of each worker
dying with a traceback of its own. A worker whose parent is killed outright (SIGKILL, the
out-of-memory killer) exits by itself within a second instead of waiting for work forever.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def run(function: Callable[[T], R], batches: Iterable[T], workers: int) -> Iterator[R]:
    if workers <= 1:
        yield from map(function, batches)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker)
    try:
        pending: deque[Future[R]] = deque()
        for batch in batches:
            pending.append(pool.submit(function, batch))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BaseException:  # including GeneratorExit: the consumer has stopped listening
        _kill(pool)
        raise
    pool.shutdown()


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _kill(pool: ProcessPoolExecutor) -> None:
    for worker in list((pool._processes or {}).values()):  # no public handle before 3.14
        worker.kill()
    # With its workers dead the pool's manager thread ends at once; waiting for it here keeps
    # it from racing the interpreter's exit (and printing an ignored exception).
    pool.shutdown(wait=True, cancel_futures=True)

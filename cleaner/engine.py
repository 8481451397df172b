"""Engines schedule the stages; they never change what the stages compute.

``run`` maps a function over batches and yields the results in input order, so the output
is the same whatever the number of workers. With one worker everything runs in this
process; with more, a local process pool runs at most ``2 * workers`` batches ahead of the
consumer, which keeps memory bounded however large the input.
"""

from __future__ import annotations

import os
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
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[R]] = deque()
        for batch in batches:
            pending.append(pool.submit(function, batch))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

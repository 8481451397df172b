"""The engine: results in input order, a bounded number of batches ahead, and no waiting on a
worker that is gone or no longer wanted."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time
from collections.abc import Iterator

import pytest

import cleaner
from cleaner import engine


def slow_square(n: int) -> int:
    time.sleep(random.Random(n).uniform(0.0, 0.02))  # results come back out of order
    return n * n


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_come_in_input_order_whatever_the_number_of_workers(workers: int) -> None:
    assert list(engine.LocalPool(workers).map(slow_square, range(40))) == [n * n for n in range(40)]


def taken_ahead(running: engine.Engine, count: int = 30) -> tuple[list[int], int]:
    """``slow_square`` over ``count`` items on ``running``: the results, and the most items
    the engine had taken ahead of the consumer at any result."""
    taken = 0

    def items() -> Iterator[int]:
        nonlocal taken
        for n in range(count):
            taken += 1
            yield n

    results: list[int] = []
    ahead = 0
    for result in running.map(slow_square, items()):
        results.append(result)
        ahead = max(ahead, taken - len(results))
    return results, ahead


@pytest.mark.parametrize("workers", [2, 3])
def test_a_bounded_number_of_batches_per_worker_are_taken_ahead_of_the_consumer(
    workers: int,
) -> None:
    results, ahead = taken_ahead(engine.LocalPool(workers), 4 * engine.AHEAD * workers)
    assert results == [n * n for n in range(4 * engine.AHEAD * workers)]
    assert workers <= ahead < engine.AHEAD * workers


def fail_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
    return n


def test_an_error_in_a_batch_reaches_the_consumer_and_the_workers_go() -> None:
    results = []
    with pytest.raises(ValueError, match="seven"):
        results.extend(engine.LocalPool(2).map(fail_on_seven, range(20)))
    assert results == list(range(7))
    assert multiprocessing.active_children() == []


def die_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer does
    return n


def test_a_worker_killed_outright_is_a_worker_lost() -> None:
    with pytest.raises(cleaner.WorkerLost, match="SIGKILL"):
        list(engine.LocalPool(2).map(die_on_three, range(10)))
    assert multiprocessing.active_children() == []


def die_while_sending(n: int) -> bytes:
    # A result of 64 MB takes a while to pickle and send: the kill lands around the sending.
    threading.Timer(0.03 + n * 0.03, os.kill, (os.getpid(), signal.SIGKILL)).start()
    return b"x" * (64 * 1024 * 1024)


def test_a_worker_killed_while_sending_a_large_result_is_lost_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(cleaner.WorkerLost):
        list(engine.LocalPool(2).map(die_while_sending, range(2)))
    assert time.monotonic() - started < 10
    assert multiprocessing.active_children() == []


def sleep_unless_zero(n: int) -> int:
    if n:
        time.sleep(60)
    return n


def test_a_consumer_that_stops_early_has_the_workers_killed_not_waited_for() -> None:
    results = engine.LocalPool(2).map(sleep_unless_zero, range(6))
    assert next(results) == 0
    started = time.monotonic()
    results.close()
    assert time.monotonic() - started < 2
    assert multiprocessing.active_children() == []

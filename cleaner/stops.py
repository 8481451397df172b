"""Stops held back: no Ctrl-C or SIGTERM falls between making something and what undoes it.

A signal is delivered to whichever thread of the process does not block it (pyarrow's threads
included), and Python runs its handler in the main thread at the next bytecode boundary, so a
thread's signal mask cannot hold a stop back. What can: for a moment, the main thread's
handlers only note the stop, and raise it once the moment is over.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOPS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stops_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait while the block runs, and are handled as usual after it (the
    first one noted is raised through the handler that was in place)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers run, and can be set, in the main thread only
        return
    caught: list[int] = []
    previous = {stop: signal.signal(stop, lambda n, _: caught.append(n)) for stop in STOPS}
    try:
        yield
    finally:
        for stop, action in previous.items():
            signal.signal(stop, signal.SIG_DFL if action is None else action)
        for signum in caught:
            signal.raise_signal(signum)


def made_whole(make: Callable[[], None], undo: Callable[[], None]) -> None:
    """Call ``make`` with stops held back; whatever fails, ``make`` or a stop that came
    meanwhile, ``undo`` first removes what of it was made."""
    try:
        with stops_held():
            make()
    except BaseException:
        undo()
        raise

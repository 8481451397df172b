"""Stops held back and never lost: no Ctrl-C or SIGTERM falls between making something and
what undoes it, and none is swallowed on its way.

A signal is delivered to whichever thread of the process does not block it (pyarrow's threads
included), and Python runs its handler in the main thread at the next bytecode boundary, so a
thread's signal mask cannot hold a stop back. What can: for a moment, the main thread's
handlers only note the stop, and raise it once the moment is over.

A handler's exception is raised at whatever bytecode the main thread has reached, which can be
inside code whose caller swallows it: a weakref callback (the import system frees each
module's lock through one as an import ends), a ``__del__``, an extension module's
initialisation that ignores errors. Python prints "Exception ignored" at most, and the run
goes on as if the stop had never come. So a handler raises its stop through
:func:`raise_kept`, which keeps it, and :func:`raise_swallowed` raises it again where no
exception can be on its way: before a result is taken, a worker started, a temporary file
made or an output replaced, and when the command is done.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

STOPS = (signal.SIGINT, signal.SIGTERM)

# The stops handlers have raised in this process (through raise_kept) and that have not ended
# it yet: in the main thread, outside the propagation of one, a stop here was swallowed.
_kept: list[type[BaseException]] = []


def raise_kept(stop: type[BaseException]) -> NoReturn:
    """Raise ``stop`` (``KeyboardInterrupt``, ...) from a signal handler, and keep it for
    :func:`raise_swallowed` until :func:`stops_kept` ends."""
    _kept.append(stop)
    if sys.unraisablehook is sys.__unraisablehook__:  # a hook of someone else's stays
        sys.unraisablehook = _unless_kept
    raise stop


def _unless_kept(unraisable: sys.UnraisableHookArgs) -> None:
    """Python's report of an exception it could not raise ("Exception ignored in", with its
    traceback), but for a kept stop: that one is raised again (:func:`raise_swallowed`), and
    its traceback would only alarm whoever pressed Ctrl-C."""
    if unraisable.exc_type is None or unraisable.exc_type not in _kept:
        sys.__unraisablehook__(unraisable)


def raise_swallowed() -> None:
    """Raise again the first stop :func:`raise_kept` raised, if any: called only where the
    main thread goes on normally, so that a stop still kept there was swallowed."""
    if _kept and threading.current_thread() is threading.main_thread():
        raise _kept[0]


@contextmanager
def stops_kept() -> Iterator[None]:
    """The block ends by the first stop raised through :func:`raise_kept`, before it or in it,
    even one that was swallowed; after it, none is kept."""
    try:
        raise_swallowed()
        yield
        raise_swallowed()
    finally:
        _kept.clear()


@contextmanager
def stops_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait while the block runs, and are handled as usual after it (the
    first one noted is raised through the handler that was in place); a stop swallowed
    before it is raised first."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers run, and can be set, in the main thread only
        return
    raise_swallowed()
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

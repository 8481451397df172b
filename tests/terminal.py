"""Runs of the real CLI in a pseudo-terminal, stopped the way a person or a supervisor does.

A person presses Ctrl-C: the terminal driver turns the ``\\x03`` written to the master into
SIGINT for every process of the foreground process group, the run and its workers alike. A
supervisor sends SIGTERM to the whole group. :func:`stop_in_terminal` does exactly that to
``python -m cleaner ...`` and reports how the run ended; it never waits for a run forever.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

CLEANER = [sys.executable, "-m", "cleaner"]
CTRL_C = "ctrl-c"
SIGTERM = "sigterm"
# A run that has not ended this long after it was told to stop counts as hung (and is killed).
GIVE_UP = 20.0
_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\r")


@dataclass
class Stopped:
    """How a run stopped in a terminal ended."""

    status: int | None  # exit status as a shell gives it (128 + n: killed by signal n); None: hung
    took: float | None  # seconds from the first stop to the run's exit; None if not stopped
    ran: float | None  # seconds from ``started()`` to the run's exit; None if it hung
    screen: str  # what the terminal showed, escapes removed
    stops_sent: int  # stops that reached the run before it exited
    group_outlived: bool  # a process of the run (a worker) was still there after it exited
    last_line: str = field(init=False)

    def __post_init__(self) -> None:
        # A terminal echoes Ctrl-C as "^C", without a newline
        lines = [line.replace("^C", "").strip() for line in self.screen.splitlines()]
        lines = [line for line in lines if line]
        self.last_line = lines[-1] if lines else ""


def stop_in_terminal(
    arguments: list[str],
    started: Callable[[], bool],
    stops: list[tuple[float, str]],
    command: list[str] | None = None,
) -> Stopped:
    """Run ``cleaner ARGUMENTS`` in a new terminal and stop it; ``command`` is what comes
    before the arguments (:data:`CLEANER` unless given).

    Once ``started()`` holds (checked every few milliseconds, e.g. the run's temporary files
    exist), each stop of ``stops`` -- (seconds after that, ``CTRL_C`` or ``SIGTERM``) -- is
    sent, unless the run has exited by then.
    """
    command = command or CLEANER
    pid, master = pty.fork()
    if pid == 0:  # the child: a session of its own, the terminal its controlling terminal
        # A suite started in the background inherits SIGINT ignored; a foreground job does not.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        # A Ctrl-C makes the terminal throw away the output not yet read from it (unless
        # NOFLSH): a second one could erase the run's last line before this reads it, where
        # a terminal on a screen has shown it long before.
        attributes = termios.tcgetattr(0)
        attributes[3] |= termios.NOFLSH
        termios.tcsetattr(0, termios.TCSANOW, attributes)
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "LINES": "24"}
        with suppress(BaseException):
            os.execve(command[0], [*command, *arguments], env)
        os._exit(127)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    screen = bytearray()
    status: int | None = None
    anchor: float | None = None
    first: float | None = None
    sent = 0
    ended_at = 0.0
    deadline = time.monotonic() + 120
    try:
        while status is None:
            now = time.monotonic()
            if anchor is None and started():
                anchor = now
            while anchor is not None and sent < len(stops) and now >= anchor + stops[sent][0]:
                _send(stops[sent][1], pid, master)
                first = first or now
                sent += 1
            if now > (deadline if first is None else first + GIVE_UP):
                break
            _read(master, screen, 0.002)
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                ended_at = time.monotonic()
                status = os.waitstatus_to_exitcode(code)
                status = 128 - status if status < 0 else status
        outlived = status is not None and not group_ends(pid, within=1.0)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if status is None:
            os.waitpid(pid, 0)
        # The terminal hands on what the run wrote last a moment after it has exited.
        while _read(master, screen, 0.5):
            pass
        os.close(master)
    took = None if first is None or status is None else ended_at - first
    ran = None if anchor is None or status is None else ended_at - anchor
    text = _ESCAPES.sub(b"", bytes(screen)).decode("utf-8", "replace")
    return Stopped(status, took, ran, text, sent, outlived)


def _send(stop: str, pid: int, master: int) -> None:
    if stop == CTRL_C:
        with suppress(OSError):  # the run may have closed the terminal as it exited
            os.write(master, b"\x03")
    else:
        with suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)


def _read(master: int, screen: bytearray, wait: float) -> bool:
    """Drain what the run wrote (so it never blocks on a full terminal); False at its end."""
    ready, _, _ = select.select([master], [], [], wait)
    if not ready:
        return False
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: every process holding the terminal has gone
        return False
    screen += chunk
    return bool(chunk)


def group_ends(group: int, within: float = 5.0) -> bool:
    """Whether every process of a process group is gone (reaped) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.01)
    return False


def listing(folder: Path) -> dict[str, bytes]:
    """Every file in a folder, by name, with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}

"""Atomic output: temporary files beside their targets, locked while in use, swept when stale.

Every file a run writes starts as a temporary file in its target's folder, named after the
target (``.<target name>.<random>.tmp``) and locked (``flock``) for as long as this process
holds it (:class:`LockedTemp`). It replaces the target by a rename only when the whole run has
succeeded, and is removed when the run fails. A run that is killed outright (SIGKILL, a power
cut) cannot clean up; the kernel drops its locks when the process ends, however it ends, which
is how the next run writing the same target tells a file left behind (unlocked) from one a
live run is writing (:func:`remove_stale`). The run's own temporary files are never read as
inputs (:func:`own_files`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from cleaner.formats import output_paths
from cleaner.stops import made_whole, raise_swallowed

STAGING = ".staging.tmp"  # how a Staging folder's name ends


def temp_prefix(target: Path) -> str:
    return f".{target.name}."


class LockedTemp:
    """A new temporary file beside ``target``, locked until :meth:`release`.

    Made with stops held back (:func:`~cleaner.stops.made_whole`): a Ctrl-C cannot leave a
    file that no one will remove.
    """

    def __init__(self, target: Path, suffix: str = ".tmp") -> None:
        self.replaced = False
        made_whole(lambda: self._make(target, suffix), self.release)

    def _make(self, target: Path, suffix: str) -> None:
        self.fd, name = tempfile.mkstemp(
            dir=target.parent, prefix=temp_prefix(target), suffix=suffix
        )
        self.path = Path(name)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def replace(self, target: Path) -> None:
        """Put the file in ``target``'s place, with the mode any new file would get (mkstemp
        made it private, 0600); unless a stop came and was swallowed, which is raised."""
        raise_swallowed()
        os.chmod(self.path, 0o666 & ~umask())
        os.replace(self.path, target)
        self.replaced = True

    def release(self) -> None:
        """Unlock the file, removing it unless it has replaced its target (what of it was
        made, if making it failed)."""
        if hasattr(self, "path") and not self.replaced:
            self.path.unlink(missing_ok=True)
        if hasattr(self, "fd"):
            os.close(self.fd)
            del self.fd


REMOVING_SECONDS = 5.0  # a task's last write, well past the ~0.2 s a task is sized to last


class Staging:
    """A temporary folder beside ``target`` for the files the steps of a run hand each other.

    Named and locked like a :class:`LockedTemp` (so a killed run's folder is swept too), and
    removed with all it holds when the ``with`` block ends, whether the run succeeded or
    failed. It is made on entering the block, with SIGINT and SIGTERM held back, so that no
    stop can fall between making it and the block that removes it.
    """

    def __init__(self, target: Path) -> None:
        self.target = target

    def __enter__(self) -> Staging:
        made_whole(self._make, self.close)
        return self

    def _make(self) -> None:
        name = tempfile.mkdtemp(
            dir=self.target.parent, prefix=temp_prefix(self.target), suffix=STAGING
        )
        self.path = Path(name)
        self.fd = os.open(name, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the folder and all it holds; what of it was made, if making it failed.

        A worker of the run may not have stopped yet (a Dask task runs to its end once
        cancelled) and write a file into the folder while it is removed, which then stays:
        the removal is tried again until the folder has gone, for ``REMOVING_SECONDS`` at
        most. Once it has gone, a late writer fails instead of making it again.
        """
        try:
            deadline = time.monotonic() + REMOVING_SECONDS
            while hasattr(self, "path"):
                shutil.rmtree(self.path, ignore_errors=True)
                if not os.path.lexists(self.path) or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        except BaseException:  # a stop cut the removal short (the CLI ignores a second one)
            shutil.rmtree(self.path, ignore_errors=True)
            raise
        finally:
            if hasattr(self, "fd"):
                os.close(self.fd)
                del self.fd


def remove_stale(target: Path, before: float) -> None:
    """Remove the temporary files of ``target`` that killed runs left behind.

    Such a file is one that no process holds locked and that was last written before
    ``before`` (the time the caller started: a file another run has only just created, and
    not yet locked, is left alone).
    """
    prefix = temp_prefix(target)
    with suppress(OSError):
        for name in os.listdir(target.parent):
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            path = target.parent / name
            with suppress(OSError):
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                try:
                    info = os.fstat(fd)
                    # a folder only when named as a Staging folder is: it is removed whole
                    folder = stat.S_ISDIR(info.st_mode) and name.endswith(STAGING)
                    if (folder or stat.S_ISREG(info.st_mode)) and info.st_mtime < before:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a run holds it
                        if folder:
                            shutil.rmtree(path)
                        else:
                            path.unlink()
                finally:
                    os.close(fd)


def own_files(output: Path) -> Callable[[str], bool]:
    """Whether a path found by the walk is one of this run's outputs or temporary files, or
    in one of its :class:`Staging` folders.

    An output inside an input folder is the run's own, never an input: it is passed over,
    not counted. The name is checked first, the folder only for a name that matches.
    """
    targets = output_paths(output)
    names = {target.name for target in targets}
    prefixes = tuple(temp_prefix(target) for target in targets)
    folder = os.path.realpath(output.parent)

    def temporary(name: str) -> bool:
        return name.startswith(prefixes) and name.endswith(".tmp")

    def own(path: str) -> bool:
        head, _, name = path.rpartition("/")
        if name in names or temporary(name):
            return os.path.realpath(head or ".") == folder
        above, _, staging = head.rpartition("/")
        return temporary(staging) and os.path.realpath(above or ".") == folder

    return own


def write_if_changed(path: Path, text: str) -> bool:
    """Replace ``path`` with ``text``, atomically, unless it holds that already; whether it
    was written. Unchanged, it keeps its time, which is what a Makefile prerequisite needs."""
    with suppress(OSError, UnicodeDecodeError):
        if path.read_text(encoding="utf-8") == text:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = LockedTemp(path)
    try:
        with open(temp.fd, "w", encoding="utf-8", closefd=False) as out:
            out.write(text)
        temp.replace(path)
    finally:
        temp.release()
    return True


def sync_folder(folder: Path) -> None:
    # A rename is on disk only once its folder is: this matters after a power cut, not a kill.
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask

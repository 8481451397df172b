"""The errors a run raises to its caller, whichever stage or engine finds them.

A bad document is never one of these: it is a :class:`cleaner.Rejected`, written to the
rejects. These end the run before anything is written (:class:`InputError`, a usage error)
or stop it with earlier output left as it was (:class:`WorkerLost`).
"""


class InputError(Exception):
    """An input or an output named by the caller cannot be used (a usage error, not a reject)."""


class WorkerLost(RuntimeError):
    """A worker died before it returned the batches it held (killed, out of memory, its
    machine gone); whichever engine ran it, the run stops and leaves earlier output alone."""

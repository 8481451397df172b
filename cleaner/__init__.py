"""cleaner: turn folders of scraped news into a clean, de-duplicated Parquet corpus.

>>> import cleaner
>>> report = cleaner.clean(["fixtures/news"], "build/corpus.parquet")  # doctest: +SKIP
>>> cleaner.clean_text("Same lead.\\nSame lead.\\nNext.").paragraphs
['Same lead.', 'Next.']
"""

from __future__ import annotations

import importlib

# Not typing's: the command's start-up imports nothing it can do without (a Ctrl-C then is
# Python's, not cleaner's).
TYPE_CHECKING = False

# Names are imported on first use (PEP 562), so that a command imports only what it runs:
# `cleaner fix` starts without Arrow, Parquet or pandas.
_HOMES = {
    "DedupOptions": "cleaner.deduplicate",
    "Document": "cleaner.document",
    "Rejected": "cleaner.document",
    "Removal": "cleaner.document",
    "InProcess": "cleaner.engine",
    "LocalPool": "cleaner.engine",
    "WorkerLost": "cleaner.errors",
    "clean_frame": "cleaner.frame",
    "Options": "cleaner.options",
    "Report": "cleaner.tally",
    "clean": "cleaner.pipeline",
    "clean_file": "cleaner.chain",
    "clean_text": "cleaner.chain",
    "merge": "cleaner.pipeline",
    "InputError": "cleaner.errors",
}

if TYPE_CHECKING:
    from typing import Any

    from cleaner.chain import clean_file, clean_text
    from cleaner.deduplicate import DedupOptions
    from cleaner.document import Document, Rejected, Removal
    from cleaner.engine import InProcess, LocalPool
    from cleaner.errors import InputError, WorkerLost
    from cleaner.frame import clean_frame
    from cleaner.options import Options
    from cleaner.pipeline import clean, merge
    from cleaner.tally import Report


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from cleaner.options import cleaner_version

        return cleaner_version()
    if name not in _HOMES:
        raise AttributeError(f"module 'cleaner' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "DedupOptions",
    "Document",
    "InProcess",
    "InputError",
    "LocalPool",
    "Options",
    "Rejected",
    "Removal",
    "Report",
    "WorkerLost",
    "__version__",
    "clean",
    "clean_file",
    "clean_frame",
    "clean_text",
    "merge",
]

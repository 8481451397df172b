"""cleaner: turn folders of scraped news into a clean, de-duplicated Parquet corpus.

>>> import cleaner
>>> report = cleaner.clean(["fixtures/news"], "build/corpus.parquet")  # doctest: +SKIP
>>> cleaner.clean_text("Same lead.\\nSame lead.\\nNext.").paragraphs
['Same lead.', 'Next.']
"""

__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

# Names are imported on first use (PEP 562), so that a command imports only what it runs:
# `cleaner fix` starts without Arrow, Parquet or pandas.
_HOMES = {
    "DedupOptions": "cleaner.deduplicate",
    "DaskEngine": "cleaner.dask_engine",
    "Document": "cleaner.document",
    "Rejected": "cleaner.document",
    "Removal": "cleaner.document",
    "InProcess": "cleaner.engine",
    "LocalPool": "cleaner.engine",
    "WorkerLost": "cleaner.errors",
    "clean_frame": "cleaner.frame",
    "Options": "cleaner.pipeline",
    "Report": "cleaner.pipeline",
    "clean": "cleaner.pipeline",
    "clean_text": "cleaner.pipeline",
    "merge": "cleaner.pipeline",
    "InputError": "cleaner.errors",
}

if TYPE_CHECKING:
    from cleaner.dask_engine import DaskEngine
    from cleaner.deduplicate import DedupOptions
    from cleaner.document import Document, Rejected, Removal
    from cleaner.engine import InProcess, LocalPool
    from cleaner.errors import InputError, WorkerLost
    from cleaner.frame import clean_frame
    from cleaner.pipeline import Options, Report, clean, clean_text, merge


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'cleaner' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "DaskEngine",
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
    "clean_frame",
    "clean_text",
    "merge",
]

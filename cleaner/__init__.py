"""cleaner: turn folders of scraped news into a clean, de-duplicated Parquet corpus.

>>> import cleaner
>>> report = cleaner.clean(["fixtures/news"], "build/corpus.parquet")  # doctest: +SKIP
>>> cleaner.clean_text("Same lead.\\nSame lead.\\nNext.").paragraphs
['Same lead.', 'Next.']
"""

__version__ = "0.1.0"

from cleaner.deduplicate import DedupOptions
from cleaner.document import Document, Rejected, Removal
from cleaner.engine import WorkerLost
from cleaner.pipeline import Options, Report, clean, clean_text, merge
from cleaner.sources import InputError

__all__ = [
    "DedupOptions",
    "Document",
    "InputError",
    "Options",
    "Rejected",
    "Removal",
    "Report",
    "WorkerLost",
    "__version__",
    "clean",
    "clean_text",
    "merge",
]

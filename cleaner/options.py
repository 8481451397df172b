"""What shapes a run's output, and how it is recorded in the output's metadata.

Every option here changes what a run writes, so every one is recorded; :meth:`Options.recorded`
derives the record from the fields and :meth:`Options.from_recorded` reads it back (``merge``
re-uses the options of the corpora it joins; ``explain`` reads a document again as its run
did). How a run is scheduled (the engine, its workers) is not an option: it never changes
the output.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import cache
from importlib.metadata import version
from typing import Any

from cleaner.deduplicate import DedupOptions
from cleaner.extract import extraction_options
from cleaner.fingerprint import NORMALIZATION_VERSION, SCHEME
from cleaner.repair import ftfy_options
from cleaner.sources import DEFAULT_LIMIT

STDIN_FORMATS = ("txt", "jsonl", "html", "xml", "csv", "tsv")  # read as a file of that extension


@dataclass(frozen=True)
class Options:
    """Everything that shapes a run's output; all of it is recorded in the output."""

    text_field: str | None = None  # None: the first of the fields scrapers use
    id_field: str = "id"
    # (column, JSON field) pairs for the metadata columns, in place of the fields scrapers use
    fields: tuple[tuple[str, str], ...] = ()
    dedup: DedupOptions = field(default_factory=DedupOptions)
    # Limits, each a reject with its own reason when hit. A file is held whole in memory,
    # several times over while it is processed, so its size is bounded (a JSON Lines dump may
    # be large; no article is). A news article has tens of paragraphs, a long one hundreds;
    # de-duplicating a document costs up to the square of its paragraph count.
    max_file_bytes: int = DEFAULT_LIMIT  # 256 MiB
    max_decompressed_bytes: int = DEFAULT_LIMIT
    max_paragraphs: int = 1000
    stdin_format: str = "txt"  # one of STDIN_FORMATS
    # Read symbolic links that lead out of an input folder (off: a scraped folder is not
    # trusted to choose which local files go into a corpus).
    follow_symlinks: bool = False
    # Corpora already written whose documents the new ones are de-duplicated against.
    against: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.stdin_format not in STDIN_FORMATS:
            raise ValueError(f"stdin_format must be one of {', '.join(STDIN_FORMATS)}")

    def recorded(self) -> dict[str, Any]:
        """The options as stored in the Parquet metadata: every field, the de-duplication
        options flattened in, tuples as lists (JSON).

        >>> Options.from_recorded(Options(against=("old.parquet",)).recorded()).against
        ('old.parquet',)
        """
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "dedup"}
        own["fields"] = [list(pair) for pair in self.fields]
        own["against"] = list(self.against)
        return {**own, **asdict(self.dedup)}

    @classmethod
    def from_recorded(cls, recorded: dict[str, Any]) -> Options:
        """The options a corpus was written with, from its metadata. A corpus written before
        an option existed was written with that option's default."""
        dedup = {f.name: recorded[f.name] for f in fields(DedupOptions) if f.name in recorded}
        own = {f.name: recorded[f.name] for f in fields(cls) if f.name in recorded}
        own["fields"] = tuple(tuple(pair) for pair in own.get("fields", ()))
        own["against"] = tuple(own.get("against", ()))
        return cls(**own, dedup=DedupOptions(**dedup))


@cache
def cleaner_version() -> str:
    """The installed package's version; pyproject.toml is its one source."""
    return version("cleaner")


def metadata(options: Options) -> dict[str, Any]:
    """What a corpus records about how it was made: the version, the options, the settings
    of ftfy and of extraction, and the fingerprint scheme that decides whether two corpora's
    indexes can be compared."""
    return {
        "version": cleaner_version(),
        "options": options.recorded(),
        "ftfy": ftfy_options(),
        "extract": extraction_options(),
        "fingerprint": {
            "scheme": SCHEME,
            "normalization_version": NORMALIZATION_VERSION,
            "num_perm": options.dedup.num_perm,
            "seed": options.dedup.seed,
            "shingle_size": options.dedup.shingle_size,
        },
    }

"""The records that flow between stages: a document, a paragraph removal, a rejection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class Rejected(Exception):
    """An input (a file or one record of it) that cannot become a document.

    ``reason`` is a short machine-readable code (``binary``, ``bad_json``, ...), ``detail`` one
    human-readable line, ``key`` the record's id or position within its file, if any.
    """

    def __init__(self, reason: str, detail: str, key: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.key = key

    @classmethod
    def lost(cls, reason: str, detail: str, what: str, at: int) -> Rejected:
        """The reject of what a file loses from its record ``at`` on (a ``what``: line,
        element, row), named by that record."""
        return cls(reason, f"{detail}; {what} {at:,} and after are lost", key=str(at))


def over_file_limit(limit: int) -> str:
    """The detail of a ``too_large`` reject: more than ``--max-file-bytes``."""
    return f"more than {limit:,} bytes (--max-file-bytes)"


def over_decompressed_limit(limit: int) -> str:
    """The detail of a ``too_large_decompressed`` reject: more than ``--max-decompressed-bytes``."""
    return f"more than {limit:,} bytes once decompressed (--max-decompressed-bytes)"


@dataclass(frozen=True)
class Removal:
    """A paragraph the tool dropped, with the evidence for it."""

    index: int  # position in the document's paragraph list before removal
    paragraph: str  # its text
    reason: str  # "exact_duplicate", "near_duplicate" or "boilerplate"
    repeats: str  # the text of the paragraph it repeats
    repeats_index: int  # that paragraph's position before removal (in repeats_doc, if given)
    similarity: float  # exact Jaccard similarity of the shingle sets; 1.0 for exact repeats
    containment: float = 1.0  # share of the smaller shingle set found in the other
    repeats_doc: str | None = None  # the other document, for a repeat across documents


@dataclass(frozen=True)
class Meta:
    """What the source says about a document besides its text; any of it may be unknown."""

    url: str | None = None
    title: str | None = None
    published: datetime | None = None  # timezone-aware (UTC when the source gave none)
    language: str | None = None  # ISO 639 code, lowercase, no region ("en", not "en-GB")


@dataclass
class Document:
    """A document after splitting, with the paragraphs de-duplication removed."""

    doc_id: str  # source, plus "#<id or position>" for a record of a JSON file
    source: str  # the file's name: its input folder's name and its path in it (see sources.Walk)
    encoding: str
    repaired: bool  # whether ftfy changed anything
    paragraphs_in: list[str]
    removed: list[Removal] = field(default_factory=list)
    meta: Meta = field(default_factory=Meta)
    modified: float | None = None  # the file's modification time, epoch seconds (--keep newest)

    @property
    def paragraphs(self) -> list[str]:
        """The kept paragraphs, in order."""
        if not self.removed:  # most documents
            return list(self.paragraphs_in)
        gone = {r.index for r in self.removed}
        return [p for i, p in enumerate(self.paragraphs_in) if i not in gone]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

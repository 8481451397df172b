"""Tables: the rows of a CSV or TSV file, each a record with its text and metadata.

News is often kept as a table: a dataset downloaded as CSV, a scraper's export, a sheet
saved from a spreadsheet. Its first row names the columns, and each row after it is a
record read as a JSON record is (:func:`cleaner.decode.record_of`): its text from the column
``--text-field`` names or the first of the text fields scrapers write (``text``,
``content``...), its id from ``--id-field`` or else its row number, its metadata from the
``url``, ``title``, ``date``... columns. An empty cell is no value, as a missing field is.

The delimiter is the one the header row uses most of comma, semicolon (spreadsheets in
locales with a decimal comma), tab and bar: a header is a few names, so its delimiters
stand out, where a row of text holds commas of its own. A row of more cells than the header
has had its text split where it should not have been: it is a ``bad_record`` reject, not a
record with a text cut short. A cell in quotes may hold delimiters and line breaks, so a
line's end is a row's only where the csv module says so: a large table is cut into pieces
of whole rows by reading it with the csv module once (:mod:`cleaner.pieces`), and each
piece carries the table's :class:`Header` to the worker that reads its rows
(:func:`table_rows`).

>>> rows = 'id,title,text\\n7,Rates,"Banks cut rates, again."\\n'
>>> [(r.key, r.text, r.meta.title) for r in table_records(rows)]
[('7', 'Banks cut rates, again.', 'Rates')]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cleaner.decode import Fields, Numbered, Record, Sizes, made_unique, record_of
from cleaner.document import Rejected

DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Header:
    """What reading a table's rows needs of its header: the column names and the delimiter."""

    names: tuple[str, ...]
    delimiter: str = ","


def delimiter(header: str) -> str:
    """The delimiter a table's header row uses most (a comma when it uses none).

    >>> delimiter("title;text;url"), delimiter("title\\ttext\\turl"), delimiter("text")
    (';', '\\t', ',')
    """
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # the first of equals, a comma first
    return best if counts[best] else ","


def separator_of(first_line: str) -> tuple[str, bool]:
    """The delimiter of a table, from its first line (without its end), and whether that
    line is Excel's ``sep=`` line, which names the delimiter and is not a row; else the
    delimiter is the one the header uses most (:func:`delimiter`).

    >>> separator_of("sep=;"), separator_of("title;text")
    ((';', True), (';', False))
    """
    line = first_line.rstrip("\r")
    if line.startswith("sep=") and len(line) == len("sep=") + 1:
        return line[-1], True
    return delimiter(first_line), False


def reader(lines: Iterable[str], separator: str) -> Iterator[list[str]]:
    """The rows of a table's lines (with their line ends, as ``newline=""`` reads them)."""
    return csv.reader(lines, delimiter=separator)


def column_names(row: list[str], separator: str) -> Header:
    """A table's header, from its first row that is not blank."""
    return Header(tuple(name.strip().lstrip("\ufeff") for name in row), separator)


def allow_cells(size: int) -> None:
    """Let the csv module read cells of ``size`` characters (its default limit is 128 KiB,
    and a cell may hold an article): the limit only grows."""
    csv.field_size_limit(max(csv.field_size_limit(), size + 1))


@contextmanager
def cell_limit(size: int) -> Iterator[None]:
    """The csv module's cell limit set to ``size`` characters for a while (it is global):
    a table being cut holds no cell longer than the record limit."""
    was = csv.field_size_limit()
    csv.field_size_limit(size)
    try:
        yield
    finally:
        csv.field_size_limit(was)


def table_records(
    text: str, fields: Fields | None = None, encoding: str = ""
) -> Iterator[Record | Rejected]:
    """The records of a decoded table: one per row after the header, in order."""
    fields = fields or Fields()
    allow_cells(len(text))
    first_line, _, rest = text.partition("\n")
    separator, named = separator_of(first_line)
    rows = reader(io.StringIO(rest if named else text, newline=""), separator)
    try:
        first = next((row for row in rows if row), None)
    except csv.Error as exc:
        yield Rejected("bad_record", f"the header row cannot be read: {exc}")
        return
    if first is None:
        yield Rejected("empty", "a table without a row")
        return
    seen: set[str | None] = set()
    found = False
    for position, record in _numbered(rows, column_names(first, separator), fields, 1, encoding):
        found = True
        yield made_unique(record, position, seen)
    if not found:
        yield Rejected("empty", "a table with a header and no row")


def table_rows(
    text: str,
    header: Header,
    fields: Fields | None = None,
    first: int = 1,
    oversized: Sizes = None,
    encoding: str = "",
) -> Numbered:
    """The records of a run of a table's rows after its header (a piece of it) with their
    row numbers, counted from ``first``; keys not yet made unique, and ``oversized`` as for
    :func:`cleaner.decode.json_lines`.

    >>> rows = table_rows('7,"Rates, again."\\n\\n,Ferries.\\n', Header(("id", "text")), first=4)
    >>> [(n, r.key, r.text) for n, r in rows]
    [(4, '7', 'Rates, again.'), (5, '5', 'Ferries.')]
    """
    allow_cells(len(text))
    rows = reader(io.StringIO(text, newline=""), header.delimiter)
    yield from _numbered(rows, header, fields or Fields(), first, encoding)
    yield from (oversized or {}).items()


def _numbered(
    rows: Iterator[list[str]], header: Header, fields: Fields, first: int, encoding: str
) -> Numbered:
    names = header.names
    position = first - 1
    while True:
        try:
            row = next(rows, None)
        except csv.Error as exc:  # the rest of the file cannot be read as a table
            yield position + 1, Rejected.lost("bad_record", str(exc), "row", position + 1)
            return
        if row is None:
            return
        if not row:
            continue  # a blank line
        position += 1
        if len(row) > len(names):
            detail = f"row {position} has {len(row)} cells where the header names {len(names)}"
            yield position, Rejected("bad_record", detail, key=str(position))
            continue
        # a row may end before the header does: its last cells are empty
        item = {name: cell for name, cell in zip(names, row, strict=False) if cell.strip()}
        yield position, record_of(item, position, fields, encoding)

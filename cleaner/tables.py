"""Tables: the rows of a CSV or TSV file, each a record with its text and metadata.

News is often kept as a table: a dataset downloaded as CSV, a scraper's export, a sheet
saved from a spreadsheet. Its first row names the columns, and each row after it is a
record read as a JSON record is (:func:`cleaner.decode.record_of`): its text from the column
``--text-field`` names or the first of the text fields scrapers write (``text``,
``content``...), its id from ``--id-field`` or else its row number, its metadata from the
``url``, ``title``, ``date``... columns. An empty cell is no value, as a missing field is.

The delimiter is the one the header row uses most of comma, semicolon (spreadsheets in
locales with a decimal comma), tab and bar: a header is a few names, so its delimiters
stand out, where a row of text holds commas of its own. A cell in quotes may hold
delimiters and line breaks, so a table is read whole, not in pieces (``--max-file-bytes``
bounds it). A row of more cells than the header has had its text split where it should
not have been: it is a ``bad_record`` reject, not a record with a text cut short.

>>> rows = 'id,title,text\\n7,Rates,"Banks cut rates, again."\\n'
>>> [(r.key, r.text, r.meta.title) for r in table_records(rows)]
[('7', 'Banks cut rates, again.', 'Rates')]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from cleaner.decode import Fields, Record, made_unique, record_of
from cleaner.document import Rejected

DELIMITERS = ",;\t|"


def delimiter(header: str) -> str:
    """The delimiter a table's header row uses most (a comma when it uses none).

    >>> delimiter("title;text;url"), delimiter("title\\ttext\\turl"), delimiter("text")
    (';', '\\t', ',')
    """
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # the first of equals, a comma first
    return best if counts[best] else ","


def table_records(
    text: str, fields: Fields | None = None, encoding: str = ""
) -> Iterator[Record | Rejected]:
    """The records of a decoded table: one per row after the header, in order."""
    fields = fields or Fields()
    # A cell may be as large as the file (an article): the default limit is 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text.partition("\n")[0]))
    try:
        header = next((row for row in rows if row), None)
    except csv.Error as exc:
        yield Rejected("bad_record", f"the header row cannot be read: {exc}")
        return
    if header is None:
        yield Rejected("empty", "a table without a row")
        return
    names = [name.strip().lstrip("\ufeff") for name in header]
    seen: set[str | None] = set()
    position = 0
    while True:
        try:
            row = next(rows, None)
        except csv.Error as exc:  # the rest of the file cannot be read as a table
            yield Rejected("bad_record", f"row {position + 1} and after: {exc}", str(position + 1))
            return
        if row is None:
            break
        if not row:
            continue  # a blank line
        position += 1
        if len(row) > len(names):
            detail = f"row {position} has {len(row)} cells where the header names {len(names)}"
            yield Rejected("bad_record", detail, key=str(position))
            continue
        # a row may end before the header does: its last cells are empty
        item = {name: cell for name, cell in zip(names, row, strict=False) if cell.strip()}
        yield made_unique(record_of(item, position, fields, encoding), position, seen)
    if position == 0:
        yield Rejected("empty", "a table with a header and no row")

"""DataFrames in, DataFrames out: :func:`clean_frame`, for a user who holds the articles.

The rows go through :func:`cleaner.clean` itself, as the records of one JSON Lines file in a
temporary folder, so that every decision is the one ``cleaner clean`` makes on the same
documents (the test checks it on the fixtures and on real posts); the corpus and its rejects
come back as DataFrames and the folder is removed.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaner.formats import rejects_path
from cleaner.metadata import metadata_fields
from cleaner.options import Options
from cleaner.pipeline import clean

if TYPE_CHECKING:
    import pandas as pd

_FILE = "frame.jsonl"
_PREFIX = f"{_FILE}#"


def clean_frame(
    frame: pd.DataFrame, text: str = "text", id: str = "id", options: Options | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean the documents of ``frame`` (one row each: its ``text`` column, and its ``id``
    column if it has one) and return ``(corpus, rejects)`` as DataFrames.

    The columns are those of ``corpus.parquet`` and ``corpus.rejects.parquet`` (see the
    README), with ``doc_id`` (and ``duplicate_of``, ``removed.repeats_doc``) the row's id as
    a string, or its 1-based position when the frame has no ``id`` column; ``source`` is
    empty. The metadata columns (``url``, ``title``, ``published``, ``language``) are read
    from the frame's columns as from a JSON record's fields (``date_publish``, ``date``...,
    or those ``options.fields`` names; datetimes included), so that ``--keep newest`` and
    the pairing of a page's re-scrapes by URL decide as they do in a file. ``options`` as for
    :func:`cleaner.clean`; its ``text_field`` and ``id_field`` are ``text`` and ``id``.

    >>> import pandas as pd
    >>> corpus, rejects = clean_frame(pd.DataFrame({"id": [1], "text": ["A.\\n\\nA.\\n\\nB."]}))
    >>> corpus.loc[0, "paragraphs"].tolist(), len(rejects)
    (['A.', 'B.'], 0)
    """
    run = replace(options or Options(), text_field=text, id_field=id)
    columns = [c for c in (id, text, *metadata_fields(run.fields)) if c in frame.columns]
    with tempfile.TemporaryDirectory(prefix="cleaner-frame-") as folder:
        records = Path(folder) / _FILE
        frame[list(dict.fromkeys(columns))].to_json(
            records,
            orient="records",
            lines=True,
            force_ascii=False,
            date_format="iso",  # pandas' default, epoch milliseconds, reads as another time
            date_unit="us",
        )
        output = Path(folder) / "corpus.parquet"
        clean([str(records)], output, run)
        corpus = _own_ids(pq.read_table(output), ["doc_id"])
        rejects = _own_ids(pq.read_table(rejects_path(output)), ["doc_id", "duplicate_of"])
    removed = corpus.column("removed").combine_chunks()
    fields = removed.values
    if isinstance(fields, pa.StructArray) and len(fields):
        named = {f.name: fields.field(f.name) for f in fields.type}
        named["repeats_doc"] = _strip(named["repeats_doc"])
        values = pa.StructArray.from_arrays(list(named.values()), names=list(named))
        lists = pa.ListArray.from_arrays(removed.offsets, values)
        corpus = corpus.set_column(corpus.schema.get_field_index("removed"), "removed", lists)
    return corpus.to_pandas(), rejects.to_pandas()


def _own_ids(table: pa.Table, names: list[str]) -> pa.Table:
    """The table with the temporary file's name taken off its ids and sources."""
    for name in names:
        table = table.set_column(table.schema.get_field_index(name), name, _strip(table[name]))
    empty = pa.array([""] * table.num_rows, type=pa.string())
    return table.set_column(table.schema.get_field_index("source"), "source", empty)


def _strip(ids: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.replace_substring_regex(ids, f"^{re.escape(_PREFIX)}", "", max_replacements=1)

"""Row groups end where the row-by-row rule says, however the rows arrive."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaner import formats, write


class Groups(write._TableWriter):
    """The writer's grouping, recording group sizes instead of writing Parquet."""

    def __init__(self) -> None:
        self.buffer, self.buffered, self.buffered_rows = [], 0, 0
        self.groups: list[int] = []

    def _flush(self) -> None:
        self.groups.append(sum(t.num_rows for t in self.buffer))
        self.buffer, self.buffered, self.buffered_rows = [], 0, 0


def row_by_row(lengths: list[list[int]], rows: int, chars: int) -> list[int]:
    groups, in_rows, in_chars = [], 0, 0
    for size in (s for table in lengths for s in table):
        in_rows, in_chars = in_rows + 1, in_chars + size
        if in_rows >= rows or in_chars >= chars:
            groups.append(in_rows)
            in_rows, in_chars = 0, 0
    return groups


@given(
    st.lists(st.lists(st.integers(0, 60), max_size=30), min_size=1, max_size=8),
    st.integers(1, 20),
    st.integers(1, 400),
)
def test_row_groups_end_where_the_row_by_row_rule_ends_them(
    lengths: list[list[int]], rows: int, chars: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(write, "ROW_GROUP", rows)
        patch.setattr(write, "ROW_GROUP_BYTES", chars)
        writer = Groups()
        for table in lengths:
            writer.add_table(pa.table({"text": ["x" * n for n in table]}, schema=None))
    assert writer.groups == row_by_row(lengths, rows, chars)


def _size(value: object, kind: pa.DataType) -> int:
    if pa.types.is_string(kind):
        return len(value.encode()) if isinstance(value, str) else 0
    if pa.types.is_list(kind):
        return sum(_size(item, kind.value_type) for item in value or [])
    if pa.types.is_struct(kind):
        fields = [kind.field(i) for i in range(kind.num_fields)]
        return sum(_size((value or {}).get(f.name), f.type) for f in fields)
    return 8


def test_row_sizes_are_the_bytes_of_text_in_each_row() -> None:
    from cleaner.document import Document, Removal

    docs = [
        Document("a.txt", "a.txt", "utf-8", False, ["Привет, мир.", "Привет, мир."]),
        Document("b.txt", "b.txt", "cp1251", True, ["«Ёж» — 🦔", "two", "three"]),
        Document("c.txt", "c.txt", "utf-8", False, ["plain"]),
    ]
    docs[0].removed = [Removal(1, "Привет, мир.", "exact_duplicate", "Привет, мир.", 0, 1.0)]
    table = formats.documents_table(docs)
    for part in (table, table.slice(1), pa.concat_tables([table.slice(0, 2), table.slice(2)])):
        expected = [
            sum(_size(row[f.name], f.type) for f in formats.CORPUS_SCHEMA)
            for row in part.to_pylist()
        ]
        assert write.row_sizes(part).tolist() == expected

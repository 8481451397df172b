"""The corpus-wide pass as steps over shards: any engine that can ship a shard and its result
gives the same files, what comes back holds no text, and the staging folder never stays."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cleaner
from cleaner import boilerplate, corpus_index, corpus_steps, formats, verification, write
from cleaner.formats import output_paths

T = TypeVar("T")
R = TypeVar("R")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "news"


class Shipping:
    """An engine that runs every item as a machine of a cluster would: the function and the
    item arrive pickled, and the result leaves pickled. It records what each result weighs."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.shipped: list[tuple[str, int]] = []  # (function, bytes of the pickled result)

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            run = pickle.loads(pickle.dumps(function))
            result = pickle.dumps(run(pickle.loads(pickle.dumps(item))))
            self.shipped.append((_name(function), len(result)))
            yield pickle.loads(result)


def _name(function: Callable[..., Any]) -> str:
    return str(getattr(function, "func", function).__name__)


def _stories(folder: Path, stories: int = 12, words: int = 3000) -> None:
    """Long stories, each saved twice (once with a footer), and a footer on most of them."""
    folder.mkdir()
    footer = "Follow us on the channel for more news every day and night"
    for n in range(stories):
        body = " ".join(f"word{n}x{i % 997} w{(i * 7 + n) % 1009}" for i in range(words))
        paragraphs = [body[i : i + 2000] for i in range(0, len(body), 2000)]
        text = "\n\n".join([f"Story number {n} begins here with its own lead.", *paragraphs])
        (folder / f"{n:03d}.txt").write_text(f"{text}\n\n{footer}\n", encoding="utf-8")
        (folder / f"{n:03d}b.txt").write_text(text + "\n", encoding="utf-8")


def _files(output: Path) -> list[bytes]:
    return [path.read_bytes() for path in output_paths(output)]


@pytest.mark.parametrize("workers", [1, 3])
def test_steps_shipped_to_other_machines_write_the_same_files(tmp_path: Path, workers: int) -> None:
    inputs = tmp_path / "in"
    _stories(inputs)
    options = cleaner.Options(dedup=cleaner.DedupOptions(boilerplate_min_docs=3))
    stories = tmp_path / "stories.parquet"
    report = cleaner.clean([str(inputs)], stories, options)
    assert report.rejects["duplicate_document"] == 12 and report.removed["boilerplate"] == 12
    fixtures = tmp_path / "fixtures.parquet"
    cleaner.clean([str(FIXTURES)], fixtures, options)
    against = cleaner.Options(dedup=options.dedup, against=(str(stories),))
    runs: dict[str, Callable[[Any, Path], object]] = {
        "clean": lambda engine, out: cleaner.clean([str(inputs)], out, options, engine=engine),
        "against": lambda engine, out: cleaner.clean([str(FIXTURES)], out, against, engine=engine),
        "merge": lambda engine, out: cleaner.merge([stories, fixtures], out, engine=engine),
    }
    for name, run in runs.items():
        here, there = tmp_path / f"{name}-here.parquet", tmp_path / f"{name}-there.parquet"
        run(cleaner.InProcess(), here)
        run(Shipping(workers), there)
        assert _files(there) == _files(here), name


def test_what_the_steps_hand_back_holds_no_text(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    _stories(inputs, words=20000)  # 24 files of about 200 KB of text each
    shipping = Shipping(2)
    options = cleaner.Options(dedup=cleaner.DedupOptions(boilerplate_min_docs=3))
    cleaner.clean([str(inputs)], tmp_path / "c.parquet", options, engine=shipping)
    functions = {name for name, _ in shipping.shipped}
    assert functions == {"process_batch", "run_step"}
    assert max(size for _, size in shipping.shipped) < 8192


def test_the_staging_folder_goes_whether_the_run_succeeds_or_fails(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    cleaner.clean([str(FIXTURES)], out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in output_paths(out))

    class Broken(Shipping):
        def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
            if _name(function) == "run_step":
                raise RuntimeError("lost the cluster")
            return super().map(function, items)

    before = _files(out)
    with pytest.raises(RuntimeError, match="lost the cluster"):
        cleaner.clean([str(FIXTURES)], out, engine=Broken(2))
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in output_paths(out))


def test_a_staging_folder_a_killed_run_left_is_swept_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    left = tmp_path / ".c.parquet.killed.staging.tmp"
    mine = tmp_path / ".c.parquet.not-a-run-of-cleaner.tmp"  # a folder someone else made
    for folder in (left, mine):
        folder.mkdir()
        (folder / "rows-000000.arrow").write_bytes(b"rows of a run that was killed")
        old = time.time() - 60
        os.utime(folder, (old, old))
    cleaner.clean([str(FIXTURES)], out)
    assert not left.exists()
    assert (mine / "rows-000000.arrow").exists()


def test_a_pass_cut_into_small_pieces_writes_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What bounds the pass's memory (boilerplate counted a range of hashes at a time,
    verification reading back a few documents at a time, the index on disk read and copied
    a chunk at a time, the pairs put in order a range of ranks at a time) changes nothing it
    writes, however small the pieces."""
    inputs = tmp_path / "in"
    _stories(inputs)
    options = cleaner.Options(dedup=cleaner.DedupOptions(boilerplate_min_docs=3))
    sources = [str(inputs), str(FIXTURES)]
    whole = tmp_path / "whole.parquet"
    report = cleaner.clean(sources, whole, options, engine=cleaner.LocalPool(2))
    assert report.rejects["duplicate_document"] >= 12 and report.removed["boilerplate"] >= 12
    monkeypatch.setattr(boilerplate, "PARTITION", 5)
    monkeypatch.setattr(verification, "READ_BACK_DOCUMENTS", 3)
    monkeypatch.setattr(corpus_index, "MAPPED_CHUNK", 7)
    monkeypatch.setattr(corpus_index, "READ_CHUNK", 3)
    monkeypatch.setattr(corpus_steps, "SIGNATURE_CHUNK", 3)
    monkeypatch.setattr(corpus_steps, "PAIRS_PARTITION", 2)
    monkeypatch.setattr(corpus_steps, "GATHER_CHUNK", 5)
    pieces = tmp_path / "pieces.parquet"
    cleaner.clean(sources, pieces, options, engine=cleaner.LocalPool(2))
    assert _files(pieces) == _files(whole)


def test_a_doc_id_in_two_sets_is_refused_by_name(tmp_path: Path) -> None:
    first = tmp_path / "first.parquet"
    cleaner.clean([str(FIXTURES)], first)
    again = cleaner.Options(against=(str(first),))
    with pytest.raises(cleaner.InputError) as refused:
        cleaner.clean([str(FIXTURES)], tmp_path / "again.parquet", again)
    message = str(refused.value)
    assert f"in {first} and in this run's inputs" in message, message
    named = message.split("'")[1]
    assert named in pq.read_table(first, columns=["doc_id"]).column(0).to_pylist()


def test_a_merge_rejects_in_input_order_however_its_corpora_are_cut_into_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stories with a footer each, and in a second folder the same stories again (without
    # it), between documents made of footers only: merged, the copies are duplicates and the
    # footers boilerplate (5 documents have each, 3 or 2 in either folder), which empties the
    # footers-only documents.
    footers = [f"Footer {name} of this site, shown under every story that it has" for name in "ABC"]
    first, second = tmp_path / "first", tmp_path / "second"
    _stories(first, stories=9, words=600)
    second.mkdir()
    for n in range(9):
        bare = first / f"{n:03d}b.txt"  # the story without _stories' own footer
        text = f"{bare.read_text(encoding='utf-8')}\n{footers[n % 3]}\n"
        (first / f"{n:03d}.txt").write_text(text, encoding="utf-8")
        bare.rename(second / bare.name)
        if n % 3 == 0:
            only = f"{footers[n // 3]}\n\n{footers[(n // 3 + 1) % 3]}\n"
            (second / f"{n:03d}c.txt").write_text(only, encoding="utf-8")
    options = cleaner.Options(dedup=cleaner.DedupOptions(boilerplate_min_docs=4))
    merged: dict[int, Path] = {}
    for rows in (2, write.ROW_GROUP):
        halves = [tmp_path / f"{folder.name}-{rows}.parquet" for folder in (first, second)]
        with monkeypatch.context() as patch:
            patch.setattr(write, "ROW_GROUP", rows)
            for folder, half in zip((first, second), halves, strict=True):
                report = cleaner.clean([str(folder)], half, options)
                assert report.rejected == 0 and not report.removed["boilerplate"]
        merged[rows] = tmp_path / f"merged-{rows}.parquet"
        cleaner.merge(halves, merged[rows])
    rejects = pd.read_parquet(formats.rejects_path(merged[2]))
    assert rejects["reason"].value_counts().to_dict() == {"duplicate_document": 9, "empty": 3}
    order = sorted(rejects["doc_id"])  # the second folder's documents, as it holds them
    assert rejects["doc_id"].tolist() == order
    assert _files(merged[2]) == _files(merged[write.ROW_GROUP])

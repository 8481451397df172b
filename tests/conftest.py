from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples (HYPOTHESIS_PROFILE=ci in .ci/run),
# so that a landing is judged on what was run before it; `make test` on a desk draws new
# examples each time and keeps what fails in .hypothesis/ to replay it.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples(times: float) -> int:
    """The loaded profile's number of examples, scaled: for a property whose inputs are cheap
    and whose counterexamples are rare (one character among thousands), so that a profile
    that asks for fewer or more examples still gets fewer or more of them."""
    return max(1, round(settings.default.max_examples * times))


ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "news"
# As in bench/shared_data.py: a checkout not beside ../shared (a worktree) points at the data.
SHARED_DATA = Path(os.environ.get("CLEANER_DATA") or ROOT.parent / "shared" / "data")
EXAMPLE = "000_2fcd4aba767f3dc8.txt"
EXAMPLE_ID = f"news/{EXAMPLE}"  # its doc_id in a run over FIXTURES: the folder's name, then it
CASES = Path(__file__).resolve().parent / "cases"


def shared(*parts: str) -> Path:
    """A path in ../shared/data, skipping the test when it is absent (a user's fresh clone)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


def read_corpus(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).set_index("doc_id", drop=False)


def cases(name: str, label: str = "label") -> list[Any]:
    """The cases of ``tests/cases/NAME`` as parameters of one test, each named by its label.

    A case with an ``xfail`` field (why it fails) is a known failure, run as
    ``xfail(strict=True)``: the day it passes, the suite says so and the field goes.
    """
    params = []
    for case in json.loads((CASES / name).read_text(encoding="utf-8")):
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        params.append(pytest.param(case, id=case[label], marks=marks))
    return params


def clean_files(
    folder: Path, files: dict[str, str | bytes], **options: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The corpus and the rejects (by doc_id) of a run at document scope over ``files``,
    written in ``folder/in`` (text in UTF-8)."""
    import cleaner

    inputs = folder / "in"
    inputs.mkdir()
    for name, data in files.items():
        (inputs / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    out = folder / "corpus.parquet"
    chosen = cleaner.Options(dedup=cleaner.DedupOptions(scope="document"), **options)
    cleaner.clean([str(inputs)], out, chosen, engine=cleaner.InProcess())
    rejects = pd.read_parquet(folder / "corpus.rejects.parquet").set_index("doc_id")
    return read_corpus(out), rejects


def assert_records_read(
    corpus: pd.DataFrame, rejects: pd.DataFrame, name: str, case: dict[str, Any]
) -> None:
    """A file of records (``in/NAME``) gave the ``documents`` of a case, by key, with their
    paragraphs and the metadata each names (null as None, dates in ISO 8601), and its
    ``rejects`` (by key; None for the file's own reject)."""
    expected = {f"{name}#{doc['key']}": doc for doc in case["documents"]}
    assert sorted(corpus.index) == sorted(expected)
    for doc_id, doc in expected.items():
        row = corpus.loc[doc_id]
        assert list(row.paragraphs) == doc["paragraphs"]
        for column in ("url", "title", "language", "published"):
            if column in doc:
                value = None if pd.isna(row[column]) else row[column]
                found = value.isoformat() if column == "published" and value else value
                assert found == doc[column], column
    assert dict(rejects.reason.items()) == {
        name if r["key"] is None else f"{name}#{r['key']}": r["reason"] for r in case["rejects"]
    }

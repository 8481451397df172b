from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples (HYPOTHESIS_PROFILE=ci in .ci/run),
# so that a landing is judged on what was run before it; `make test` on a desk draws new
# examples each time and keeps what fails in .hypothesis/ to replay it.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "news"
# As in bench/shared_data.py: a checkout not beside ../shared (a worktree) points at the data.
SHARED_DATA = Path(os.environ.get("CLEANER_DATA") or ROOT.parent / "shared" / "data")
EXAMPLE = "000_2fcd4aba767f3dc8.txt"


def shared(*parts: str) -> Path:
    """A path in ../shared/data, skipping the test when it is absent (a user's fresh clone)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


def read_corpus(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).set_index("doc_id", drop=False)

"""Every command has help and is documented in the README; the README's columns exist."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.formats import CORPUS_SCHEMA, INDEX_SCHEMA, REJECTS_SCHEMA
from cleaner.tally import Report
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output) > 200
    assert f"cleaner {command}" in README


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    options = set(re.findall(r"(--[a-z][a-z-]+)", result.output)) - {"--help", "--no-strict"}
    missing = sorted(o for o in options if o not in README)
    assert not missing


@pytest.mark.parametrize("schema", [CORPUS_SCHEMA, REJECTS_SCHEMA, INDEX_SCHEMA])
def test_every_column_is_in_the_readme(schema: pq.ParquetSchema) -> None:
    for name in schema.names:
        assert f"`{name}`" in README, name


def test_quick_start_is_make_run_and_make_test() -> None:
    assert "make run" in README and "make test" in README


def test_every_clean_option_is_in_the_option_table() -> None:
    clean = typer.main.get_command(app).commands["clean"]  # type: ignore[attr-defined]
    options = {name for p in clean.params for name in p.opts if name.startswith("--")}
    rows = [line for line in README.splitlines() if line.startswith("| `-")]
    missing = sorted(o for o in options if not any(f"`{o}`" in row for row in rows))
    assert not missing


def test_every_key_of_the_json_summary_is_in_the_readme() -> None:
    figures = Report(Path("c.parquet")).summary()
    keys = {"seconds_by_stage"}  # its keys are the stages, listed in prose
    for key, value in figures.items():
        nested = isinstance(value, dict) and key not in keys
        keys |= {f"{key}.{inner}" for inner in value} if nested else {key}
    missing = sorted(k for k in keys if f"`{k}`" not in README)
    assert not missing

"""Every command has help and is documented in the README; the README's columns exist."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.write import CORPUS_SCHEMA, INDEX_SCHEMA, REJECTS_SCHEMA
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

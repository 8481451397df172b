"""Every command has help and is documented in the README; the README's columns exist."""

from __future__ import annotations

import enum
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from typer.core import TyperOption
from typer.testing import CliRunner

from cleaner import Report
from cleaner.cli import app
from cleaner.write import CORPUS_SCHEMA, INDEX_SCHEMA, REJECTS_SCHEMA
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


def options(command: str) -> list[TyperOption]:
    found = [p for p in COMMANDS[command].params if isinstance(p, TyperOption)]
    assert found, command  # typer's own class: it vendors click, whose Option it is not
    return [p for p in found if p.name != "help"]


def long_name(option: TyperOption) -> str:
    (name,) = [o for o in option.opts if o.startswith("--")]
    return name


def shown(default: object) -> str:
    """A default as the help and the README write it: an enum by its value."""
    return str(default.value if isinstance(default, enum.Enum) else default)


def help_rows(command: str) -> dict[str, str]:
    """Each option's row of the command's help, by long name (wide enough not to wrap)."""
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    found = (re.match(r"\W+(--[a-z][a-z-]*)\s", line) for line in result.output.splitlines())
    return {m.group(1): m.string for m in found if m}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_names_each_option_with_its_help_and_default(command: str) -> None:
    rows = help_rows(command)
    for option in options(command):
        row = rows[long_name(option)]
        assert option.help and " ".join(option.help.split()[:3]) in row, row
        assert all(f" {name} " in row for name in option.opts), row  # the short name too
        if option.default is not None and not option.is_flag:
            assert f"[default: {shown(option.default)}]" in row, row
    assert f"cleaner {command}" in README


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_is_in_the_readme(command: str) -> None:
    named = {long_name(o) for o in options(command)}
    missing = sorted(n for n in named if not re.search(f"`{n}[` ]", README))  # `--input DIR`
    assert not missing


@pytest.mark.parametrize("schema", [CORPUS_SCHEMA, REJECTS_SCHEMA, INDEX_SCHEMA])
def test_every_column_is_in_the_readme(schema: pq.ParquetSchema) -> None:
    for name in schema.names:
        assert f"`{name}`" in README, name


def test_the_quick_start_and_every_make_command_are_makefile_targets() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.MULTILINE))
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    started = re.findall(r"^make ([a-z-]+)", quick_start, re.MULTILINE)
    assert started == ["run", "test"]
    named = set(re.findall(r"`make ([a-z-]+)`", README))
    assert sorted(named - targets) == [] and sorted(set(started) - targets) == []


def test_every_clean_option_is_in_the_option_table_with_its_default() -> None:
    table = {}
    for line in README.splitlines():
        if line.startswith("| `-"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            table |= dict.fromkeys(re.findall(r"`(--[a-z-]+)`", cells[0]), cells[1])
    for option in options("clean"):
        default = table[long_name(option)]  # a KeyError names an option missing from the table
        if option.is_flag:
            assert default == "off", long_name(option)
        elif option.default is not None:  # "0 (one per core)", "`corpus.parquet`"
            assert default.strip("`").split()[0].strip("`") == shown(option.default), default


def test_every_key_of_the_json_summary_is_in_the_readme() -> None:
    figures = Report(Path("c.parquet")).summary()
    keys = {"seconds_by_stage"}  # its keys are the stages, listed in prose
    for key, value in figures.items():
        nested = isinstance(value, dict) and key not in keys
        keys |= {f"{key}.{inner}" for inner in value} if nested else {key}
    missing = sorted(k for k in keys if f"`{k}`" not in README)
    assert not missing

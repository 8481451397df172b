"""`cleaner report`: one self-contained HTML page, rendered in a real browser, and safe
against the scraped text it shows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cleaner
from cleaner.cli import app
from cleaner.report import build_report
from tests.conftest import FIXTURES

ATTACKS = [
    "<script>document.title='XSS script'</script> the council met on the bridge plan",
    "<img src=x onerror=\"document.title='XSS img'\"> residents asked about the ferry",
    "<a href=\"javascript:document.title='XSS link'\">read more about the new ferry</a>",
    "</textarea><script>document.title='XSS textarea'</script> a breakout of a text area",
    "</style><script>document.title='XSS style'</script> a breakout of the style sheet",
    "</title><script>document.title='XSS title'</script> a breakout of the page title",
]


def chromium() -> list[str]:
    """The headless browser's command line; skips where none is installed (.ci/run installs
    Debian's chromium)."""
    found = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    if found is None:
        pytest.skip("no chromium: apt-get install chromium")
    sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []  # root cannot use the sandbox
    return [found, "--headless", "--disable-gpu", *sandbox]


def rendered(page: Path) -> str:
    """The DOM after the page has loaded, as Chromium serialises it."""
    done = subprocess.run(
        [*chromium(), "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Elements(HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def elements(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def fixtures_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    cleaner.clean([str(FIXTURES)], folder / "corpus.parquet")
    result = CliRunner().invoke(
        app, ["report", str(folder / "corpus.parquet"), "-o", str(folder / "report.html")]
    )
    assert result.exit_code == 0, result.output
    return folder / "report.html"


def test_the_page_loads_nothing_and_runs_nothing(fixtures_report: Path) -> None:
    page = fixtures_report.read_text()
    tags = elements(page).tags
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "link", "object")]
    attributes = [name for _, attrs in tags for name, _ in attrs]
    assert not [a for a in attributes if a.startswith("on") or a in ("href", "src", "style")]
    (policy,) = [dict(a)["content"] for t, a in tags if dict(a).get("http-equiv")]
    assert policy is not None
    for rule in ("default-src 'none'", "script-src 'none'", "base-uri 'none'"):
        assert rule in policy
    assert len(page) < 100_000


def test_the_page_renders_with_the_runs_numbers(fixtures_report: Path, tmp_path: Path) -> None:
    dom = rendered(fixtures_report)
    assert "<title>cleaner report: corpus.parquet</title>" in dom
    corpus = pd.read_parquet(fixtures_report.with_name("corpus.parquet"))
    rejects = pd.read_parquet(fixtures_report.with_name("corpus.rejects.parquet"))
    removed = Counter(r["reason"] for removals in corpus.removed for r in removals)
    figures = {
        "documents kept": len(corpus),
        "documents rejected": len(rejects),
        "paragraphs kept": corpus.n_paragraphs_out.sum(),
        **{f"removed: {reason}": n for reason, n in removed.items()},
    }
    assert len(figures) == 6  # the fixtures remove paragraphs for three reasons
    for label, n in figures.items():
        assert f"<b>{n}</b>{label}" in dom
    assert "Subscribe to our channel for the morning briefing" in dom  # boilerplate, 10 docs
    assert "<del>largest</del>" in dom and "<ins>biggest</ins>" in dom  # the near repeat
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [*chromium(), f"--screenshot={shot}", "--window-size=1200,1600", fixtures_report.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a page that failed to style or to render is a small, nearly uniform image
    assert shot.stat().st_size > 20_000


def test_documents_are_counted_by_the_folder_that_holds_them(tmp_path: Path) -> None:
    stories = {"a/1.txt": "The council met", "a/2.txt": "Rain fell", "b/3.txt": "A ship came"}
    for name, story in stories.items():
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / name).write_text(f"{story} on Monday, and it was told at length.")
    cleaner.clean([str(tmp_path / "in")], tmp_path / "c.parquet")
    page = build_report(tmp_path / "c.parquet", tmp_path / "report.html").read_text()
    chart = page.split("Documents kept, by source folder")[1].split("</svg>")[0]
    labels = re.findall(r'text-anchor="end">([^<]*)<', chart)
    assert labels == ["in/a/", "in/b/"]


def test_scraped_markup_shows_as_text_and_never_runs(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    records = [
        {"id": f"post {n}", "text": "\n\n".join([f"Story number {n} about {w}.", *ATTACKS])}
        for n, w in enumerate("abcdefghijkl")
    ]
    near = f"{ATTACKS[0]} and said work on it would start in the spring of next year."
    records.append({"id": "edited", "text": f"{near}\n\n{near.replace('spring', 'autumn')}"})
    copy = {"id": "<img src=x onerror=\"document.title='XSS id'\">", "text": records[0]["text"]}
    records.append(copy)
    feed = folder / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in records) + "{<script>broken\n")
    out = tmp_path / "c.parquet"
    report = cleaner.clean([str(folder)], out)
    assert report.removed["boilerplate"] >= len(ATTACKS) * 10
    assert report.rejects["duplicate_document"] == 1
    page = build_report(out, tmp_path / "report.html")
    dom = rendered(page)
    assert "XSS" not in dom.split("</title>")[0]  # no script changed the title
    lowered = dom.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<a " not in lowered
    assert "&lt;script&gt;document.title='XSS script'&lt;/script&gt;" in dom
    assert "&lt;img src=x onerror=\"document.title='XSS id'\"&gt;" in dom  # the id, literally
    assert "&lt;/textarea&gt;&lt;script&gt;" in dom and "&lt;/style&gt;&lt;script&gt;" in dom

"""Feeds: RSS and Atom files read as their items, whatever their version, encoding or damage."""

from __future__ import annotations

import collections
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cleaner
from cleaner.feeds import feed_records, looks_like_feed
from tests.conftest import assert_records_read, cases, shared
from tests.conftest import clean_files as clean


@pytest.mark.parametrize("case", cases("feeds.json"))
def test_a_feed_is_read_as_its_items(tmp_path: Path, case: dict[str, Any]) -> None:
    feed = case["feed"].encode(case.get("encoding", "utf-8"))
    corpus, rejects = clean(tmp_path, {case["name"]: feed})
    assert_records_read(corpus, rejects, f"in/{case['name']}", case)


def test_every_name_a_feed_goes_by_is_read_and_other_names_are_sniffed(tmp_path: Path) -> None:
    """``.xml``, ``.rss``, ``.atom``, ``.rdf``, compressed, and a feed saved as its server
    named it (``feed``, ``rss.php``): each is read as a feed."""
    feed = json.loads((Path(__file__).parent / "cases" / "feeds.json").read_text())[0]["feed"]
    names = ["a.xml", "b.rss", "c.atom", "d.rdf", "feed", "rss.php"]
    files: dict[str, bytes | str] = dict.fromkeys(names, feed)
    files["e.xml.gz"] = gzip.compress(feed.encode())
    files["page.xml"] = "<!DOCTYPE html><html><head><title>Tide</title></head><body><article>"
    files["page.xml"] += "<p>A very low tide this morning left every boat of the harbour on the"
    files["page.xml"] += " mud, the harbour master said, and it will come again on Friday.</p>"
    files["page.xml"] += "</article></body></html>"
    corpus, rejects = clean(tmp_path, files)
    assert rejects.empty
    by_file = collections.Counter(doc_id.rpartition("#")[0] or doc_id for doc_id in corpus.index)
    assert by_file == {**{f"in/{name}": 2 for name in [*names, "e.xml.gz"]}, "in/page.xml": 1}


def test_a_feed_is_decoded_by_its_declaration(tmp_path: Path) -> None:
    """A feed names its encoding in its XML declaration, as a page does in a ``<meta>``, and
    the declaration decides: the same bytes declared KOI8-R and windows-1251 are read as
    each says, as a page's would be."""
    body = "Паром снова ходит по расписанию."
    feed = '<?xml version="1.0" encoding="{}"?><rss><channel><item><title>Паром</title>'
    feed += f"<description>{body}</description></item></channel></rss>"
    files = {f"{label}.xml": feed.format(label).encode("koi8_r") for label in ("KOI8-R", "cp1251")}
    corpus, rejects = clean(tmp_path, files)
    assert rejects.empty
    texts = dict(zip(corpus.doc_id, corpus.text, strict=True))
    assert texts["in/KOI8-R.xml#1"] == body
    assert texts["in/cp1251.xml#1"] == body.encode("koi8_r").decode("cp1251")


def test_a_hostile_feed_expands_no_entity_and_reads_no_file(tmp_path: Path) -> None:
    """Parsed as XML, but no document type definition is loaded: a recursive entity ("billion
    laughs") is not expanded, an external one (a local file) is not read."""
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]><rss><channel>'
    bomb += "<item><title>Laughs</title><description>Before &l9; after.</description></item>"
    bomb += "</channel></rss>"
    secret = tmp_path / "secret.txt"
    secret.write_text("the contents of a local file")
    leak = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
    leak += "<rss><channel><item><title>Leak</title><description>A &x; B</description></item>"
    leak += "</channel></rss>"
    started = time.perf_counter()
    corpus, _ = clean(tmp_path, {"bomb.xml": bomb, "leak.xml": leak})
    assert time.perf_counter() - started < 30  # expanded, the bomb is 10^9 "lol"s
    texts = dict(zip(corpus.title, corpus.text, strict=True))
    assert texts["Laughs"].startswith("Before") and "lollol" not in texts["Laughs"]
    assert texts["Leak"].startswith("A") and "contents of a local file" not in texts["Leak"]


def test_what_is_not_a_feed_is_a_reject_with_a_reason(tmp_path: Path) -> None:
    corpus, rejects = clean(
        tmp_path, {"blank.xml": "  \n", "binary.xml": b"\x00\x01\x02" * 40, "text.xml": "Hi."}
    )
    assert corpus.empty
    reasons = dict(rejects.reason.items())
    assert reasons["in/blank.xml"] == "empty"
    assert reasons["in/binary.xml"] == "binary"
    assert reasons["in/text.xml"] == "bad_feed"
    assert rejects.loc["in/text.xml", "detail"].startswith("not a feed lxml can read")


def test_fix_prints_a_feeds_items_as_json_lines(tmp_path: Path) -> None:
    feed = json.loads((Path(__file__).parent / "cases" / "feeds.json").read_text())[0]["feed"]
    path = tmp_path / "news.xml"
    path.write_text(feed)
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "fix", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in records] == ["1", "2"]
    assert records[1]["text"] == "The harbour bridge will close to cars for six weeks from April."


def test_the_feeds_of_the_charset_dataset_are_read_the_same_in_every_encoding(
    tmp_path: Path,
) -> None:
    """314 real feeds (RSS 0.91 to 2.0, RSS 1.0, Atom 0.3 and 1.0) in 30 encodings: each is
    its items, and a feed saved in several encodings gives the same items in each."""
    files = shared("charset_dataset_multiencoding", "files")
    out = tmp_path / "feeds.parquet"
    cleaner.clean([str(files)], out, cleaner.Options(dedup=cleaner.DedupOptions(scope="document")))
    corpus = pd.read_parquet(out)
    rejects = pd.read_parquet(tmp_path / "feeds.rejects.parquet")
    feeds = sorted(p for p in files.rglob("*.xml") if looks_like_feed(p.read_bytes()))
    items = corpus[corpus.doc_id.str.contains(r"\.xml#")]
    read = set(items.doc_id.str.rpartition("#")[0])
    xml = rejects[rejects.doc_id.str.contains(r"\.xml")]
    headlines = set(xml.doc_id[xml.reason == "empty"].str.partition("#")[0])
    assert len(feeds) >= 300 and len(read) >= 0.9 * len(feeds)
    # the rest are feeds of headlines (every item a title and a link) or of no item
    assert {f"files/{p.relative_to(files)}" for p in feeds} <= read | headlines
    assert set(xml.reason) <= {"empty", "undecodable", "unsupported"}
    # Bodies are read, not kept as markup: a tag, escaped or not, is left only where a post
    # quotes code (a template engine's forum), a few items in a hundred at most.
    markup = items.text.str.contains("</p>|<br|&lt;|&amp;", regex=True)
    assert markup.mean() < 0.01
    texts: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for doc_id, text in zip(items.doc_id, items.text, strict=True):
        _, encoding, name = doc_id.split("/", 2)
        texts[name][encoding] = text
    several = [variants for variants in texts.values() if len(variants) > 1]
    alike = sum(len(set(variants.values())) == 1 for variants in several)
    assert len(several) >= 250 and alike >= 0.9 * len(several)


def test_records_of_a_feed_are_keyed_by_position() -> None:
    feed = (
        "<rss><channel>"
        + "".join(
            f"<item><title>T{n}</title><description>Story {n} of the day.</description></item>"
            for n in range(1, 4)
        )
        + "</channel></rss>"
    )
    assert [(r.key, r.text) for r in feed_records(feed)] == [  # type: ignore[union-attr]
        ("1", "Story 1 of the day."),
        ("2", "Story 2 of the day."),
        ("3", "Story 3 of the day."),
    ]

"""Scrapers' JSON and the metadata columns: url, title, published, language."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cleaner
from cleaner import chain, corpus_steps
from cleaner.cli import app
from cleaner.metadata import _LINKS, detect_language, timestamp, without_links
from tests.conftest import FIXTURES, ROOT, examples, read_corpus, shared

CASES = json.loads((ROOT / "tests" / "cases" / "scraper_records.json").read_text())
runner = CliRunner()


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scraped")
    lines = "\n".join(json.dumps(case["record"], ensure_ascii=False) for case in CASES)
    (folder / "feed.jsonl").write_text(lines + "\n")
    out = folder / "corpus.parquet"
    cleaner.clean([str(folder / "feed.jsonl")], out, cleaner.Options())
    return out


@pytest.mark.parametrize("number", range(len(CASES)), ids=[c["scraper"] for c in CASES])
def test_scrapers_records_are_read_without_options(scraped: Path, number: int) -> None:
    case, expected = CASES[number], CASES[number]["expected"]
    rows = {row["doc_id"]: row for row in pq.read_table(scraped).to_pylist()}
    doc = rows[f"feed.jsonl#{number + 1}"]
    assert doc["paragraphs"] == expected["paragraphs"]
    assert (doc["url"], doc["title"]) == (expected["url"], expected["title"])
    published = None if doc["published"] is None else doc["published"].isoformat()
    assert published == expected["published"]
    if expected["language"] is not None:  # else detected, or null when CLD2 is unsure
        assert doc["language"] == expected["language"]
    assert case["scraper"]


def test_a_records_fields_are_found_whatever_their_case(tmp_path: Path) -> None:
    """A Go or C# scraper writes its struct's field names, capitalised; a field spelled as
    looked for is taken before one in another case."""
    go = {
        "ID": "a1",
        "Title": "Rates rise",
        "Content": "Rates rose again.",
        "URL": "https://x.eg/a",
    }
    both = {"Text": "Not this one.", "text": "This one.", "Date": "2024-01-02"}
    (tmp_path / "f.jsonl").write_text(json.dumps(go) + "\n" + json.dumps(both) + "\n")
    out = tmp_path / "c.parquet"
    cleaner.clean([str(tmp_path / "f.jsonl")], out, cleaner.Options())
    corpus = read_corpus(out)
    first, second = corpus.loc["f.jsonl#a1"], corpus.loc["f.jsonl#2"]
    assert (first.text, first.title, first.url) == ("Rates rose again.", "Rates rise", go["URL"])
    assert (second.text, second.published.isoformat()) == ("This one.", "2024-01-02T00:00:00+00:00")


def test_text_and_metadata_fields_can_be_named(tmp_path: Path) -> None:
    record = {"headline": "Rates rise", "story": "Rates rose again.", "when": "2024-01-02T03:04"}
    (tmp_path / "f.jsonl").write_text(json.dumps(record) + "\n")
    out = tmp_path / "c.parquet"
    args = ["clean", str(tmp_path / "f.jsonl"), "-o", str(out), "-q", "--text-field", "story"]
    result = runner.invoke(app, [*args, "--field", "title=headline", "--field", "published=when"])
    assert result.exit_code == 0, result.output
    doc = read_corpus(out).loc["f.jsonl#1"]
    assert (doc.text, doc.title) == ("Rates rose again.", "Rates rise")
    assert doc.published == pd.Timestamp("2024-01-02T03:04", tz="UTC")
    recorded = json.loads(pq.read_schema(out).metadata[b"cleaner"])["options"]
    assert recorded["fields"] == [["title", "headline"], ["published", "when"]]


@pytest.mark.parametrize("bad", ["headline", "author=byline", "title="])
def test_a_field_mapping_must_name_a_column_and_a_field(tmp_path: Path, bad: str) -> None:
    result = runner.invoke(
        app, ["clean", str(tmp_path), "-o", str(tmp_path / "c.parquet"), "--field", bad]
    )
    assert result.exit_code == 2
    assert "COLUMN=FIELD" in result.output


def test_a_record_without_any_text_field_says_which_it_tried_and_which_it_has(
    tmp_path: Path,
) -> None:
    """A scraper's own field names ("article_body", "story") are the usual reason: the
    reject names the record's fields, so that the user sees which to pass to --text-field."""
    (tmp_path / "f.jsonl").write_text('{"title": "only a title", "article_body": "The text."}\n')
    out = tmp_path / "c.parquet"
    cleaner.clean([str(tmp_path)], out)
    rejects = pd.read_parquet(out.with_name("c.rejects.parquet"))
    assert rejects.reason.tolist() == ["bad_record"]
    assert "text, maintext, plaintext, body, articleBody, content, markdown" in rejects.detail[0]
    assert rejects.detail[0].endswith("its fields: title, article_body")


def test_records_as_json_ld_and_crawlers_for_language_models_write_them_are_read(
    tmp_path: Path,
) -> None:
    """schema.org's NewsArticle, as pages embed it (JSON-LD), and the content or markdown of
    Jina Reader, Firecrawl or Crawl4AI, with their metadata."""
    records = [
        {
            "@type": "NewsArticle",
            "headline": "Tram line opens",
            "articleBody": "The new tram line opened on Monday with free rides all day.",
            "datePublished": "2024-05-06T08:00:00+02:00",
            "url": "https://news.example/tram",
            "inLanguage": "en-GB",
        },
        {"title": "Ferry strike", "url": "https://news.example/ferry", "content": "Crews left."},
        {
            "markdown": "# Bridge\n\nThe bridge reopened after repairs.",
            "link": "https://x.example/b",
        },
    ]
    (tmp_path / "f.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "c.parquet"
    cleaner.clean([str(tmp_path)], out)
    corpus = pd.read_parquet(out)
    assert corpus.title.tolist()[:2] == ["Tram line opens", "Ferry strike"]
    assert corpus.title.isna().tolist() == [False, False, True]
    assert corpus.url.tolist() == [
        "https://news.example/tram",
        "https://news.example/ferry",
        "https://x.example/b",
    ]
    assert corpus.published[0] == pd.Timestamp("2024-05-06T06:00", tz="UTC")
    assert corpus.language[0] == "en"
    assert corpus.text[2].endswith("The bridge reopened after repairs.")


def test_language_is_detected_when_the_source_is_silent_and_only_when_sure() -> None:
    assert detect_language("Центральный банк повысил ключевую ставку на полпроцента.") == "ru"
    # A post that is mostly a link: the link's words are not the post's language.
    post = "Учёные нашли кратер необычной формы\n\nhttps://science.example/article/geology/new"
    assert detect_language(post) == "ru"
    assert detect_language("OK 👍") is None


def test_language_is_detected_in_text_with_angle_brackets() -> None:
    # Reuters marks company names in angle brackets; read as HTML, the apostrophe opened an
    # attribute that swallowed the story and CLD2 found no language
    story = (
        "<Scott's Hospitality Inc> said it acquired all issued shares of Capital Food "
        "Services Ltd, of Ottawa. Terms were not disclosed."
    )
    assert detect_language(story) == "en"


def _detections(monkeypatch: pytest.MonkeyPatch, folder: Path, out: Path, scope: str) -> list[str]:
    """The texts whose language a run over ``folder`` detects, wherever it detects them."""
    texts: list[str] = []

    def counted(text: str) -> str | None:
        texts.append(text)
        return detect_language(text)

    for module in (chain, corpus_steps):
        monkeypatch.setattr(module, "detect_language", counted)
    cleaner.clean([str(folder)], out, cleaner.Options(dedup=cleaner.DedupOptions(scope=scope)))
    return texts


def test_at_corpus_scope_only_the_documents_that_stay_have_their_language_detected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for path in FIXTURES.glob("*.txt"):  # repeats inside documents, cp1251, Russian
        shutil.copy(path, folder)
    footer = "Follow our channel for the news of the day, every day of the week and at night."
    for n, path in enumerate(sorted(shared("bbc_news_fulltext", "bbc").glob("*/0[0-2]?.txt"))):
        text = path.read_text(encoding="utf-8", errors="replace")
        (folder / f"bbc{n:03d}.txt").write_text(f"{text}\n\n{footer}\n", encoding="utf-8")
        if n % 4 == 0:  # scraped twice: a duplicate document
            (folder / f"bbc{n:03d}_again.txt").write_text(text, encoding="utf-8")
    each = _detections(monkeypatch, folder, tmp_path / "each.parquet", "document")
    stay = _detections(monkeypatch, folder, tmp_path / "stay.parquet", "corpus")
    alone, corpus = read_corpus(tmp_path / "each.parquet"), read_corpus(tmp_path / "stay.parquet")
    assert (corpus.n_paragraphs_out < corpus.n_paragraphs_in).sum() > 20  # boilerplate went
    assert len(each) == len(alone) > len(corpus) == len(stay)  # once for each that stays
    assert Counter(stay) <= Counter(each)  # from the paragraphs as read, as the chain does
    assert corpus.language.equals(alone.language[corpus.index])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-05-14T09:30:00Z", "2024-05-14T09:30:00+00:00"),
        ("2024-05-14 09:30:00+03:00", "2024-05-14T09:30:00+03:00"),
        ("Tue, 14 Nov 2023 22:13:20 GMT", "2023-11-14T22:13:20+00:00"),
        (1700000000, "2023-11-14T22:13:20+00:00"),
        (1700000000000, "2023-11-14T22:13:20+00:00"),  # milliseconds: JavaScript, Java
        (1700000000000000, "2023-11-14T22:13:20+00:00"),  # microseconds
        ("1700000000", "2023-11-14T22:13:20+00:00"),  # Telegram's date_unixtime
        ("2024", None),
        ("14/05/2024", None),
        (True, None),
        (1e30, None),
        ({"date": "2024"}, None),
    ],
)
def test_published_is_read_from_what_sources_give(given: Any, expected: str | None) -> None:
    found = timestamp(given)
    assert (None if found is None else found.isoformat()) == expected


def test_titles_are_repaired_as_the_text_is(tmp_path: Path) -> None:
    """A title comes from the same scrape as the text, with the same mojibake, entities and
    line breaks; the corpus's title is repaired as its text is, on one line."""
    records = [
        {
            "id": 1,
            "title": "CafÃ© owners say &quot;no&quot; to the cup tax â\x80\x94 again\n",
            "text": "CafÃ© owners in the city said on Monday they would not collect the cup tax.",
        },
        {"id": 2, "title": " \u00ad\n ", "text": "A post without a title of its own."},
    ]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in records))
    cleaner.clean([str(feed)], tmp_path / "c.parquet", cleaner.Options())
    corpus = read_corpus(tmp_path / "c.parquet")
    assert corpus.title.iloc[0] == 'Café owners say "no" to the cup tax — again'
    assert corpus.title.isna().iloc[1]
    assert corpus.text.iloc[0].startswith("Café owners")


def test_real_telegram_exports_keep_their_dates(tmp_path: Path) -> None:
    channel = sorted(shared("russian_telegram_news_posts", "raw").glob("*.json"))[0]
    out = tmp_path / "c.parquet"
    report = cleaner.clean([str(channel)], out, cleaner.Options())
    corpus = read_corpus(out)
    assert report.documents == len([m for m in json.loads(channel.read_text()) if m.get("text")])
    assert corpus.published.notna().all()
    assert (corpus.language == "ru").mean() > 0.8


def test_the_metadata_columns_are_typed_and_nullable_in_arrow(scraped: Path) -> None:
    import pyarrow as pa

    table = pq.read_table(scraped, columns=["url", "title", "published", "language"])
    assert table.schema.field("published").type == pa.timestamp("us", tz="UTC")
    assert table.column("url").null_count == sum(c["expected"]["url"] is None for c in CASES)


@pytest.mark.parametrize("tool", ["polars", "duckdb"])
def test_the_corpus_reads_in_polars_and_duckdb(tmp_path: Path, tool: str) -> None:
    module = pytest.importorskip(tool)
    out = tmp_path / "c.parquet"
    cleaner.clean([str(ROOT / "fixtures" / "news")], out, cleaner.Options())
    if tool == "polars":
        frame = module.read_parquet(out)
        assert str(frame.schema["published"]).startswith("Datetime")
        rows = frame.height
    else:
        rows = module.sql(f"select count(*), max(published) from '{out}'").fetchall()[0][0]
    assert rows == pq.read_metadata(out).num_rows


def test_a_json_file_may_hold_one_object_a_json_lines_file_never(tmp_path: Path) -> None:
    record = json.dumps({"maintext": "One article.", "title": "T"}, indent=4)
    (tmp_path / "a.json").write_text(record)
    (tmp_path / "b.jsonl").write_text(record)
    out = tmp_path / "c.parquet"
    cleaner.clean([str(tmp_path / "a.json"), str(tmp_path / "b.jsonl")], out)
    assert read_corpus(out).doc_id.tolist() == ["a.json#1"]
    rejects = pd.read_parquet(out.with_name("c.rejects.parquet"))
    assert set(rejects.source) == {"b.jsonl"} and set(rejects.reason) == {"bad_json"}


# The characters the link pattern turns on: its marks' letters, spaces (\x1c and \x85 are
# whitespace to \s, \u200b is not) and a letter.
_LINKISH = st.sampled_from(
    [":", "/", "w", ".", "a", " ", "\n", "\x1c", "\x85", "\u200b", "://", "www."]
)


@settings(max_examples=examples(10), deadline=None)
@given(st.lists(st.one_of(_LINKISH, st.characters())).map("".join))
def test_links_are_dropped_as_the_pattern_drops_them(text: str) -> None:
    assert without_links(text) == _LINKS.sub(" ", text)

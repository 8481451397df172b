"""`cleaner.clean_frame`: a DataFrame of articles in, the corpus and rejects out, with the
decisions `cleaner clean` makes on the same documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

import cleaner
from cleaner.decode import decode_bytes
from cleaner.formats import rejects_path
from tests.conftest import FIXTURES, shared

DECISIONS = ["doc_id", "paragraphs", "removed", "n_paragraphs_in", "n_paragraphs_out"]
VERDICTS = ["doc_id", "reason", "duplicate_of", "similarity"]


def cli_run(inputs: list[Path], out: Path, prefix: str = "") -> tuple[list[Any], list[Any]]:
    """What `cleaner clean` decided, ids as the frame's (``prefix`` taken off)."""
    cleaner.clean([str(p) for p in inputs], out)
    corpus = pq.read_table(out).select(DECISIONS).to_pylist()
    rejects = pq.read_table(rejects_path(out)).select(VERDICTS).to_pylist()
    for row in corpus:
        row["doc_id"] = row["doc_id"].removeprefix(prefix)
        for r in row["removed"]:
            r["repeats_doc"] = r["repeats_doc"] and r["repeats_doc"].removeprefix(prefix)
    for row in rejects:
        row["doc_id"] = row["doc_id"].removeprefix(prefix)
        row["duplicate_of"] = row["duplicate_of"] and row["duplicate_of"].removeprefix(prefix)
    return corpus, rejects


def frame_run(frame: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    corpus, rejects = cleaner.clean_frame(frame)
    as_rows = [
        {
            **row,
            "paragraphs": list(row["paragraphs"]),
            "removed": [dict(r) for r in row["removed"]],
        }
        for row in corpus[DECISIONS].to_dict("records")
    ]
    verdicts = rejects[VERDICTS].astype(object).where(rejects[VERDICTS].notna(), None)
    return as_rows, verdicts.to_dict("records")


def test_the_fixtures_as_a_frame_get_the_same_decisions(tmp_path: Path) -> None:
    articles = sorted(p for p in FIXTURES.glob("*.txt") if p.name != "007_binary.txt")
    channel = FIXTURES / "009_channel.jsonl"
    rows = [{"id": p.name, "text": decode_bytes(p.read_bytes())[0]} for p in articles]
    for line in channel.read_text().splitlines():
        post = json.loads(line)
        rows.append({"id": f"{channel.name}#{post['id']}", "text": post["text"]})
    frame = pd.DataFrame(rows)
    corpus, rejects = frame_run(frame)
    assert (corpus, rejects) == cli_run([*articles, channel], tmp_path / "c.parquet")
    # the fixtures' decisions are all there: in-document, duplicate document, boilerplate
    reasons = {r["reason"] for row in corpus for r in row["removed"]}
    assert reasons == {"exact_duplicate", "near_duplicate", "boilerplate"}
    assert {r["reason"] for r in rejects} == {"duplicate_document", "empty"}


def test_telegram_posts_as_a_frame_get_the_same_decisions(tmp_path: Path) -> None:
    posts = []
    for path in sorted(shared("russian_telegram_news_posts", "raw").glob("*.json"))[:6]:
        for post in json.loads(path.read_text(encoding="utf-8")):
            if isinstance(post.get("text"), str):
                posts.append({"id": f"{path.stem}:{post['message_id']}", "text": post["text"]})
    posts = posts[:3000]
    feed = tmp_path / "posts.jsonl"
    feed.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts))
    corpus, rejects = frame_run(pd.DataFrame(posts))
    expected = cli_run([feed], tmp_path / "c.parquet", prefix="posts.jsonl#")
    assert (corpus, rejects) == expected
    assert len(posts) == 3000 and len(rejects) > 10  # cross-posts and footers were decided
    assert sum(r["reason"] == "boilerplate" for row in corpus for r in row["removed"]) > 10


def test_a_frame_without_ids_is_numbered_and_keeps_its_other_columns_out() -> None:
    frame = pd.DataFrame({"text": ["Lead.\n\nLead.", None], "section": ["world", "sport"]})
    corpus, rejects = cleaner.clean_frame(frame)
    assert corpus.doc_id.tolist() == ["1"] and corpus.paragraphs[0].tolist() == ["Lead."]
    assert rejects[["doc_id", "reason"]].values.tolist() == [["2", "bad_record"]]
    assert "section" not in corpus.columns


def test_the_metadata_columns_come_from_the_frame_as_from_a_file(tmp_path: Path) -> None:
    """A frame's url, title, date and language columns fill the corpus's metadata and decide
    what the CLI decides on the same records: the newest of two scrapes of one page stays
    under ``keep="newest"``, whichever the frame lists first."""
    lead = (
        "The central bank raised its key rate by half a point on Tuesday, the third rise this"
        " year, citing stubborn inflation in services and wages."
    )
    rows = [
        {
            "id": "first-scrape",
            "text": f"{lead}\n\nEconomists had expected a smaller move.",
            "url": "https://news.example/rates?utm_source=rss",
            "title": "Rates rise again",
            "date": pd.Timestamp("2024-03-05 09:00", tz="UTC"),
            "lang": "en-GB",
        },
        {
            "id": "second-scrape",
            "text": f"{lead}\n\nEconomists had expected a smaller move.\n\nUpdated 14:05 GMT.",
            "url": "https://news.example/rates",
            "title": "Rates rise again",
            "date": pd.Timestamp("2024-03-05 14:05", tz="UTC"),
            "lang": "en-GB",
        },
    ]
    options = cleaner.Options(dedup=cleaner.DedupOptions(keep="newest"))
    corpus, rejects = cleaner.clean_frame(pd.DataFrame(rows), options=options)
    assert rejects[["doc_id", "duplicate_of"]].values.tolist() == [
        ["first-scrape", "second-scrape"]
    ]
    (kept,) = corpus.to_dict("records")
    assert (kept["doc_id"], kept["title"], kept["language"]) == (
        "second-scrape",
        "Rates rise again",
        "en",
    )
    assert kept["url"] == "https://news.example/rates"
    assert kept["published"] == pd.Timestamp("2024-03-05 14:05", tz="UTC")

    feed = tmp_path / "scrapes.jsonl"
    as_json = [{**row, "date": row["date"].isoformat()} for row in rows]
    feed.write_text("".join(json.dumps(row) + "\n" for row in as_json))
    out = tmp_path / "c.parquet"
    cleaner.clean([str(feed)], out, options)
    written = pq.read_table(out).to_pylist()[0]
    assert [written[c] for c in ("url", "title", "published", "language")] == [
        kept["url"],
        kept["title"],
        kept["published"].to_pydatetime(),
        kept["language"],
    ]


def test_the_text_column_may_have_another_name() -> None:
    corpus, _ = cleaner.clean_frame(pd.DataFrame({"key": ["a"], "body": ["One."]}), "body", "key")
    assert corpus[["doc_id", "text"]].values.tolist() == [["a", "One."]]


def test_no_temporary_name_leaks_into_the_result() -> None:
    corpus, rejects = cleaner.clean_frame(pd.DataFrame({"id": [1, 2], "text": ["Same.", "Same."]}))
    assert (corpus.source == "").all() and (rejects.source == "").all()
    assert rejects.duplicate_of.tolist() == ["1"]

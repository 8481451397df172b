"""Corpus-wide de-duplication: duplicate documents and boilerplate, through the library call."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cleaner
from cleaner.corpus_index import CorpusIndex, summarise
from cleaner.document import Document
from cleaner.fingerprint import fingerprint, overlap
from cleaner.verification import ReadBack
from tests.conftest import cases, read_corpus, shared


def words(start: int, stop: int, stem: str = "word") -> str:
    """A sentence of distinct made-up words: no two runs share a shingle by accident."""
    return " ".join(f"{stem}{n}" for n in range(start, stop)) + "."


def jaccard(a: str, b: str) -> float:
    fp = fingerprint([a, b])
    return overlap(fp.shingle_set(0), fp.shingle_set(1))[0]


def clean(folder: Path, **dedup: object) -> tuple[pd.DataFrame, pd.DataFrame, cleaner.Report]:
    options = cleaner.Options(dedup=cleaner.DedupOptions(**dedup))  # type: ignore[arg-type]
    report = cleaner.clean([str(folder)], folder.parent / "out.parquet", options)
    rejects = pd.read_parquet(folder.parent / "out.rejects.parquet")
    return read_corpus(folder.parent / "out.parquet"), rejects, report


def write(folder: Path, articles: dict[str, list[str]]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, paragraphs in articles.items():
        (folder / name).write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return folder


def duplicates(rejects: pd.DataFrame) -> dict[str, str]:
    found = rejects[rejects.reason == "duplicate_document"]
    return dict(zip(found.doc_id, found.duplicate_of, strict=True))


def test_a_document_joins_a_cluster_only_when_it_resembles_the_kept_one(tmp_path: Path) -> None:
    a = words(0, 100)
    b = words(0, 94) + " " + words(0, 6, "other")
    c = words(0, 88) + " " + words(0, 12, "other")
    t = cleaner.DedupOptions().document_threshold
    assert jaccard(a, b) >= t and jaccard(b, c) >= t and jaccard(a, c) < t
    folder = write(tmp_path / "in", {"a.txt": [a], "b.txt": [b], "c.txt": [c]})
    corpus, rejects, _ = clean(folder)
    assert duplicates(rejects) == {"in/b.txt": "in/a.txt"}  # c resembles b only, which left
    assert list(corpus.index) == ["in/a.txt", "in/c.txt"]
    (similarity,) = rejects.similarity.dropna()
    assert similarity == pytest.approx(jaccard(a, b))


def test_keep_longest_keeps_the_longest_copy_and_first_keeps_the_first(tmp_path: Path) -> None:
    story = [words(0, 60), words(60, 120)]
    longer = [*story, words(120, 130)]
    folder = write(tmp_path / "in", {"a.txt": story, "b.txt": longer, "c.txt": story})
    _, rejects, _ = clean(folder)
    assert duplicates(rejects) == {"in/b.txt": "in/a.txt", "in/c.txt": "in/a.txt"}
    _, rejects, _ = clean(folder, keep="longest")
    assert duplicates(rejects) == {"in/a.txt": "in/b.txt", "in/c.txt": "in/b.txt"}


def test_copies_with_different_footers_are_duplicates_and_lose_their_footers(
    tmp_path: Path,
) -> None:
    story = words(0, 30)
    footers = {channel: words(0, 12, f"{channel}footer") for channel in ("red", "blue")}
    articles = {
        f"{channel}{n}.txt": [words(100 * n, 100 * n + 30, channel), footer]
        for channel, footer in footers.items()
        for n in range(1, 4)
    }
    articles["red0.txt"] = [story, footers["red"]]
    articles["blue0.txt"] = [story, footers["blue"]]
    assert jaccard(*(f"{story} {footer}" for footer in footers.values())) < 0.8
    corpus, rejects, report = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    assert duplicates(rejects) == {"in/red0.txt": "in/blue0.txt"}
    assert rejects.set_index("doc_id").similarity["in/red0.txt"] == 1.0  # footers left out
    assert report.removed["boilerplate"] == 7  # 4 blue, 3 red: the duplicate does not count
    for doc in corpus.itertuples():
        assert len(doc.paragraphs) == 1
        (removal,) = doc.removed
        assert removal["reason"] == "boilerplate"


def test_posts_under_a_long_footer_are_compared_by_their_own_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A channel's posts share a footer longer than each: their whole texts agree enough to
    be proposed as pairs, but only the posts whose own texts agree are read and compared."""
    footer = [words(0, 15, f"footer{n}x") for n in range(3)]
    articles = {f"{n:02}.txt": [words(40 * n, 40 * n + 30), *footer] for n in range(40)}
    articles["40.txt"] = [words(200, 229)[:-1] + " word999.", *footer]  # 05.txt, a word new
    compared: list[tuple[int, int]] = []
    similarity = ReadBack.similarity

    def counted(self: ReadBack, a: int, b: int, threshold: float) -> float | None:
        compared.append((a, b))
        return similarity(self, a, b, threshold)

    monkeypatch.setattr(ReadBack, "similarity", counted)
    _, rejects, report = clean(write(tmp_path / "in", articles))
    assert duplicates(rejects) == {"in/40.txt": "in/05.txt"}
    assert report.removed["boilerplate"] == 3 * 40
    assert len(compared) == 1


def test_a_paragraph_two_articles_share_stays_even_when_one_was_scraped_twice(
    tmp_path: Path,
) -> None:
    quote = "The minister said the talks had been long but useful for both sides."
    first = [words(0, 40), quote]
    folder = write(
        tmp_path / "in",
        {"a.txt": first, "a_again.txt": first, "b.txt": [words(50, 90), quote]},
    )
    corpus, rejects, report = clean(folder, boilerplate_min_docs=3)
    assert duplicates(rejects) == {"in/a_again.txt": "in/a.txt"}
    assert "boilerplate" not in report.removed
    assert all(quote in doc.paragraphs.tolist() for doc in corpus.itertuples())


def test_a_document_of_boilerplate_only_is_rejected_as_empty(tmp_path: Path) -> None:
    footer = "Follow us on our channel for more news every morning."
    articles = {f"{n}.txt": [words(10 * n, 10 * n + 9), footer] for n in range(3)}
    articles["only_footer.txt"] = [footer]
    _, rejects, _ = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    (row,) = rejects.itertuples()
    assert (row.doc_id, row.reason) == ("in/only_footer.txt", "empty")
    assert "boilerplate" in row.detail


def test_boilerplate_min_docs_sets_how_many_documents_make_boilerplate(tmp_path: Path) -> None:
    footer = "Follow us on our channel for more news every morning."
    articles = {f"{n}.txt": [words(10 * n, 10 * n + 9), footer] for n in range(3)}
    folder = write(tmp_path / "in", articles)
    assert clean(folder, boilerplate_min_docs=3)[2].removed["boilerplate"] == 3
    assert clean(folder, boilerplate_min_docs=4)[2].removed["boilerplate"] == 0
    assert clean(folder)[2].removed["boilerplate"] == 0  # the default asks for 10


def test_output_is_the_same_for_any_number_of_workers(tmp_path: Path) -> None:
    footer = "Follow us on our channel for more news every morning."
    articles = {f"{n:03}.txt": [words(7 * (n % 40), 7 * (n % 40) + 30), footer] for n in range(200)}
    folder = write(tmp_path / "in", articles)
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"j{workers}.parquet"
        cleaner.clean([str(folder)], out, engine=cleaner.LocalPool(workers))
        outputs.append((out.read_bytes(), (tmp_path / f"j{workers}.rejects.parquet").read_bytes()))
    assert outputs[0] == outputs[1]
    assert len(pd.read_parquet(tmp_path / "j1.rejects.parquet")) == 160  # 40 stories stay


def test_index_costs_what_the_docs_say_per_document_and_paragraph() -> None:
    docs = [Document(str(n), "", "utf-8", False, [words(0, 5), words(5, 9)]) for n in range(3)]
    fp = fingerprint([p for d in docs for p in d.paragraphs_in])
    index = CorpusIndex.concat([summarise(docs, fp), summarise(docs[:1], fp)], 128)
    assert index.documents == 4
    assert index.nbytes == 4 * (4 * 128 + 48) + 8 * 28
    assert index.paragraph_doc.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert np.array_equal(index.signatures[0], fp.signatures[:2].min(axis=0))


def test_index_describes_each_documents_kept_paragraphs() -> None:
    """summarise() works on the batch at once; each entry must equal what the document alone
    says of its kept text (removals inside documents taken out)."""
    from cleaner.document import Removal

    docs = [
        Document("a", "", "utf-8", False, [words(0, 9), "x.", words(0, 9), "Ёлки — ёлки."]),
        Document("b", "", "utf-8", False, ["Один абзац."]),
        Document("c", "", "utf-8", False, [words(3, 20), words(30, 40), "y"]),
    ]
    a, c = docs[0].paragraphs_in, docs[2].paragraphs_in
    docs[0].removed = [Removal(2, a[2], "exact_duplicate", a[0], 0, 1.0)]
    docs[2].removed = [Removal(1, c[1], "boilerplate", c[1], 0, 1.0, 1.0, "a")]
    fp = fingerprint([p for d in docs for p in d.paragraphs_in])
    index = summarise(docs, fp)
    first = 0
    for n, doc in enumerate(docs):
        alone = fingerprint(doc.paragraphs)
        gone = {r.index for r in doc.removed}
        kept = [first + i for i in range(len(doc.paragraphs_in)) if i not in gone]
        assert index.chars[n] == len(doc.text)
        assert index.shingles[n] == alone.shingle_counts().sum()
        assert np.array_equal(index.signatures[n], fp.signatures[kept].min(axis=0))
        assert index.paragraph_index[index.paragraph_doc == n].tolist() == [k - first for k in kept]
        first += len(doc.paragraphs_in)


def test_bbc_byte_identical_files_keep_one_copy_each(tmp_path: Path) -> None:
    folder = shared("bbc_news_fulltext", "bbc")
    with (folder.parent / "exact_duplicate_groups.csv").open(encoding="utf-8") as handle:
        groups = [[f"bbc/{f}" for f in row["files"].split()] for row in csv.DictReader(handle)]
    assert len(groups) == 98
    cleaner.clean([str(folder)], tmp_path / "bbc.parquet")
    dropped = duplicates(pd.read_parquet(tmp_path / "bbc.rejects.parquet"))
    kept = set(pd.read_parquet(tmp_path / "bbc.parquet", columns=["doc_id"]).doc_id)
    for members in groups:
        # all copies end up as one document: the first, or an earlier near copy of them all
        assert len({dropped.get(m, m) for m in members}) == 1, members
        assert len(kept & set(members)) <= 1
        assert min(members) in kept or min(members) in dropped


@pytest.mark.parametrize("case", cases("document_pairs.json"))
def test_document_pair(case: dict[str, Any], tmp_path: Path) -> None:
    """``expect``: ``duplicate`` (the second goes) or ``kept``; ``similarity``: the one the
    reject records; ``above_threshold``: the pair is as similar as --document-threshold, so
    that what keeps it apart is a rule of agreement, not a low similarity; ``beside``: other
    documents of the run (footers are boilerplate only in company), ``options`` its options."""
    beside = {f"other{n}.txt": paragraphs for n, paragraphs in enumerate(case.get("beside", []))}
    documents = {"a.txt": case["first"], "b.txt": case["second"], **beside}
    rejects = clean(write(tmp_path / "in", documents), **case.get("options", {}))[1]
    assert duplicates(rejects) == (
        {"in/b.txt": "in/a.txt"} if case["expect"] == "duplicate" else {}
    )
    if "similarity" in case:
        assert rejects.similarity.tolist() == [case["similarity"]]
    if case.get("above_threshold"):
        fp = fingerprint([*case["first"], *case["second"]])
        first, second = np.arange(len(case["first"])), np.arange(len(case["second"]))
        similarity = overlap(fp.shingle_union(first), fp.shingle_union(second + len(first)))[0]
        assert similarity >= cleaner.DedupOptions().document_threshold


def test_a_recurring_line_with_figures_is_the_news_of_templated_reports(tmp_path: Path) -> None:
    line = "Qtly div 10 cts vs 10 cts prior"
    articles = {
        f"{n}.txt": [
            f"{company} sets quarterly dividend".upper(),
            line,
            f"Pay April {10 + n}",
            f"Record March {20 + n}",
        ]
        for n, company in enumerate(["Amcast Corp", "Brenco Inc", "Cullinet Ltd", "Dravo Co"])
    }
    _, _, report = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    assert "boilerplate" not in report.removed


def test_a_dated_footer_under_unrelated_articles_is_boilerplate(tmp_path: Path) -> None:
    footers = [
        "© 2024 Northern Wire Services Ltd. All rights reserved.",
        "Updated 10:42 GMT, 14 March 2024",
        "Press office: +44 20 7946 0321, press@northernwire.example",
    ]
    articles = {
        f"{n}.txt": [words(30 * n, 30 * n + 12), words(30 * n + 12, 30 * n + 25), *footers]
        for n in range(4)
    }
    corpus, _, _ = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    for doc in corpus.itertuples():
        assert [r["paragraph"] for r in doc.removed] == footers


def test_a_footer_dated_anew_under_each_article_is_boilerplate(tmp_path: Path) -> None:
    months = ["March", "April", "May", "June", "July"]
    dated = [
        [
            f"Updated {9 + n}:{7 * n:02d} GMT, {n + 3} {months[n]} 2024",
            f"Stand: {n + 10}.0{n + 2}.2024, {n + 8}:15 Uhr",
            f"© {2019 + n} Northern Wire Services Ltd. All rights reserved.",
        ]
        for n in range(5)
    ]
    # Articles of four paragraphs, stating their own dates and figures too
    bodies = [
        [
            words(60 * n + 15 * k, 60 * n + 15 * k + 14) + f" On {k + 1} May {2000 + n}."
            for k in range(4)
        ]
        for n in range(5)
    ]
    titles = [f"Story {name} at {n + 9}:30 GMT" for n, name in enumerate("ABCDE")]
    articles = {f"{n}.txt": [titles[n], dated[n][0], *bodies[n], *dated[n][1:]] for n in range(5)}
    corpus, _, _ = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    assert len(corpus) == 5
    for doc in corpus.itertuples():
        n = int(doc.doc_id.split("/")[-1].split(".")[0])
        assert [r["paragraph"] for r in doc.removed] == dated[n]
        assert doc.paragraphs.tolist() == [titles[n], *bodies[n]]


@pytest.mark.parametrize(
    "template",
    [
        "Actualizado el {day} de {month_es} de {year} a las {time} h",
        "Atualizado em {day} de {month_pt} de {year} às {time}",
        "Posted {year}-0{n}-1{n}T{time}:00Z",
        "First published on {day} {month} {year} {dotted} GMT",
        "Updated {n} hours ago",
        "Обновлено {n} минут назад",
        "Aggiornato il {day} {month_it} {year}, {time}",
        "发布时间 {year}年{n}月{day}日 {time}",
        "{year}年{n}月{day}日 {time} 更新",
        "입력 {year}.0{n}.1{n} {time}",
        "{year}년 {n}월 {day}일 {time} 수정",
        "Updated {year}/0{n}/1{n} {time}",
        "Stand:{day}.0{n}.{year}, {time} Uhr",
        "Опубликовано:{day}.0{n}.{year} в {time}",
        "Oppdatert {day}.0{n}.{year} kl. {dotted}",
        "Julkaistu {day}.{n}.{year} klo {dotted}",
        "更新日時 {year}年{n}月{day}日 1{n}時{day}分",
        "Posted {n}d ago",
        "{n} min read",
        "Reading time: {n} minutes",
        "Lesezeit: {n} Min.",
        "Время чтения: {n} минут",
        "1,{n}3{n} views · {n} comments",
        "Comments ({n}{n})",
        "{n}{n} комментариев",
    ],
)
def test_a_header_dated_or_counted_in_another_style_is_one_line_whatever_its_figure(
    tmp_path: Path, template: str
) -> None:
    months = ["March", "April", "May", "June"]
    spanish, portuguese = ["marzo", "abril", "mayo", "junio"], ["março", "abril", "maio", "junho"]
    italian = ["marzo", "aprile", "maggio", "giugno"]
    headers = [
        template.format(
            day=n + 3,
            month=months[n],
            month_es=spanish[n],
            month_pt=portuguese[n],
            month_it=italian[n],
            year=2020 + n,
            time=f"{9 + n}:{7 * n:02d}",
            dotted=f"{9 + n}.{7 * n:02d}",
            n=n + 2,
        )
        for n in range(4)
    ]
    articles = {
        f"{n}.txt": [f"Story {'ABCD'[n]}", headers[n], words(30 * n, 30 * n + 25)] for n in range(4)
    }
    corpus, _, _ = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    for doc in corpus.itertuples():
        n = "ABCD".index(doc.paragraphs[0][-1])
        assert [r["paragraph"] for r in doc.removed] == [headers[n]]


def test_a_dated_title_is_news_however_many_documents_have_it(tmp_path: Path) -> None:
    """Periodic reports are titled with their time ("MIDWEST GRAIN FUTURES 10:50 EDT")."""
    articles = {
        f"{n}.txt": [f"MIDWEST GRAIN FUTURES {10 + n}:50 EDT", words(30 * n, 30 * n + 25)]
        for n in range(5)
    }
    _, _, report = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    assert "boilerplate" not in report.removed


def test_a_dated_statement_of_templated_reports_stays(tmp_path: Path) -> None:
    """The date of a dividend notice's payment, or of a quarter's end, is its news."""
    articles = {
        f"{n}.txt": [
            f"{company} said its board declared a quarterly dividend of {10 + n} cts a share.",
            f"The payment date is April {10 + n}.",
            f"Qtr ended Jan 31, {1980 + n}",
        ]
        for n, company in enumerate(["Amcast Corp", "Brenco Inc", "Cullinet Ltd", "Dravo Co"])
    }
    _, _, report = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    assert "boilerplate" not in report.removed


def test_a_lone_word_is_data_but_a_lone_hashtag_or_link_is_boilerplate(tmp_path: Path) -> None:
    articles = {
        f"{n}.txt": [words(10 * n, 10 * n + 9), "Year", "#news", "t.me/morningwire"]
        for n in range(4)
    }
    corpus, _, _ = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    for doc in corpus.itertuples():
        assert doc.paragraphs.tolist()[1:] == ["Year"]
        assert [r["paragraph"] for r in doc.removed] == ["#news", "t.me/morningwire"]


def test_a_line_written_alike_inside_lists_and_code_stays_but_a_block_stuck_on_goes(
    tmp_path: Path,
) -> None:
    """Programming posts share "package main" and "func main() {" between lines of their own;
    a footer, a sponsor's line between paragraphs, a hashtag and a date stamp are stuck on."""
    stuck = [
        "#golang",
        "Sponsored: learn Go in a week with Code Wire",
        "Follow Code Wire for a new example every day",
    ]
    articles = {
        f"{n}.txt": [
            words(40 * n, 40 * n + 14),
            f"Example {n} prints word{n}",
            "package main",
            "func main() {",
            f'fmt.Println("word{40 * n}")',
            "#golang",
            f"Updated {9 + n}:{10 + n} GMT, {n + 3} March 2024",
            f"go run example{n}.go",
            words(40 * n + 14, 40 * n + 28),
            "Sponsored: learn Go in a week with Code Wire",
            words(40 * n + 28, 40 * n + 40),
            "Follow Code Wire for a new example every day",
        ]
        for n in range(5)
    }
    corpus, _, _ = clean(write(tmp_path / "in", articles), boilerplate_min_docs=3)
    assert len(corpus) == 5
    for doc in corpus.itertuples():
        removed = [r["paragraph"] for r in doc.removed]
        assert [p for p in removed if not p.startswith("Updated ")] == stuck
        assert len(removed) == 4  # the stamp too
        assert doc.paragraphs.tolist()[2:4] == ["package main", "func main() {"]


def test_a_line_of_lists_in_too_few_documents_is_not_boilerplate_elsewhere(tmp_path: Path) -> None:
    """A line counts as boilerplate among the documents it is stuck to, not those whose lists
    or code it is a line of: "Shr not given" in three results tables and two notes."""
    tables = {
        f"t{n}.txt": [
            f"COMPANY{n} INC 1ST QTR NET",
            f"Shr {n + 1} cts vs {n + 2} cts",
            "Shr not given",
            f"Net {n + 100} mln vs {n + 90} mln",
        ]
        for n in range(3)
    }
    notes = {f"n{n}.txt": [words(30 * n, 30 * n + 20), "Shr not given"] for n in range(2)}
    corpus, _, report = clean(write(tmp_path / "in", {**tables, **notes}), boilerplate_min_docs=3)
    assert "boilerplate" not in report.removed
    assert all("Shr not given" in doc.paragraphs.tolist() for doc in corpus.itertuples())


def test_an_unknown_scope_or_keep_is_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="scope"):
        cleaner.DedupOptions(scope="corpos")
    with pytest.raises(ValueError, match="keep"):
        cleaner.DedupOptions(keep="last")


def test_the_index_reads_back_as_it_was_written_across_chunks_and_slices() -> None:
    import pyarrow as pa

    from cleaner.formats import index_table, read_index

    docs = [
        Document(f"{n}.txt", f"{n}.txt", "utf-8", False, [words(n, n + 9), "x."]) for n in range(7)
    ]
    fp = fingerprint([p for d in docs for p in d.paragraphs_in])
    index = summarise(docs, fp)
    ids = pa.array([d.doc_id for d in docs])
    whole = index_table(index, np.arange(7), ids)
    chunked = pa.concat_tables([whole.slice(0, 3), whole.slice(3)])
    for table in (whole, chunked, pa.concat_tables([whole.slice(2, 0), whole])):
        back = read_index(table, 128)
        assert np.array_equal(back.signatures, index.signatures)
        assert np.array_equal(back.paragraph_hash, index.paragraph_hash)
        assert np.array_equal(back.text_hash, index.text_hash)


@given(st.lists(st.integers(1, 4), max_size=9), st.data())
def test_index_rows_from_counted_paragraph_starts_are_those_from_searches(
    sizes: list[int], data: st.DataObject
) -> None:
    """The corpus pass gives :func:`index_table` each document's first paragraph, counted
    once (:func:`paragraph_starts`), instead of searching ``paragraph_doc``: the same rows,
    written as the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cleaner.corpus_index import paragraph_starts
    from cleaner.formats import index_table

    def written(table: pa.Table) -> bytes:
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return bytes(sink.getvalue())

    docs = [
        Document(f"{n}.txt", f"{n}.txt", "utf-8", False,
                 [words(n + k, n + k + 9) for k in range(size)])
        for n, size in enumerate(sizes)
    ]  # fmt: skip
    index = summarise(docs, fingerprint([p for d in docs for p in d.paragraphs_in]))
    chosen = data.draw(st.lists(st.sampled_from(range(len(docs))), unique=True)) if docs else []
    picked = np.array(chosen, dtype=np.int64)
    ids = pa.array([docs[n].doc_id for n in chosen], pa.string())
    searched = index_table(index, picked, ids)
    counted = index_table(index, picked, ids, paragraph_starts(index))
    assert written(counted) == written(searched)


@given(
    st.lists(st.lists(st.integers(0, 12), max_size=6), max_size=6),
    st.lists(st.integers(0, 12), max_size=10),
)
def test_notes_found_by_search_are_the_isin_reference(
    paragraphs: list[list[int]], other: list[int]
) -> None:
    """:func:`_without_notes` marks the paragraphs held with one binary search of all their
    shingles: the same story as marking each paragraph held or not with ``np.isin``."""
    from cleaner.verification import NOTE_SHARE, Story, _without_notes

    def as_set(values: list[int]) -> np.ndarray[Any, np.dtype[np.uint64]]:
        return np.unique(np.array(values, dtype=np.uint64))

    parts = [as_set(p) for p in paragraphs]
    held = [len(p) == 0 or 2 * np.isin(p, as_set(other)).sum() >= len(p) for p in parts]

    def short(kept: list[int]) -> bool:
        notes = sum(len(p) for n, p in enumerate(parts) if n not in kept)
        union = np.unique(np.concatenate([np.empty(0, dtype=np.uint64), *(parts[n] for n in kept)]))
        return notes <= NOTE_SHARE * len(union)

    kept = [n for n, h in enumerate(held) if h]
    expected = None
    if kept:
        span = range(kept[0], kept[-1] + 1)
        inside = len(kept) < len(span)
        expected = Story(kept if short(kept) else None, span if short(list(span)) else None, inside)
    shingles = np.concatenate([np.empty(0, dtype=np.uint64), *parts])
    sizes = np.array([len(p) for p in parts], dtype=np.int64)
    assert _without_notes(shingles, sizes, as_set(other)) == expected


def test_templated_lines_are_told_apart_alike_however_small_the_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search for templated lines keeps its work in files, read back a range of hashes
    or a chunk of documents at a time: a notice's line stays and a dated footer goes, with
    pieces of a paragraph or a document as with one piece for all."""
    from cleaner import boilerplate, corpus_index

    footer = "Updated 10:42 GMT, 14 March 2024"
    articles = {
        f"{n}.txt": [
            f"{company} sets quarterly dividend".upper(),
            "Qtly div 10 cts vs 10 cts prior",
            f"Pay April {10 + n}",
            f"Record March {20 + n}",
        ]
        for n, company in enumerate(["Amcast Corp", "Brenco Inc", "Cullinet Ltd", "Dravo Co"])
    }
    articles |= {
        f"story{n}.txt": [words(30 * n, 30 * n + 12), words(30 * n + 12, 30 * n + 25), footer]
        for n in range(4)
    }
    folder = write(tmp_path / "in", articles)
    whole = clean(folder, boilerplate_min_docs=3)[0]
    monkeypatch.setattr(boilerplate, "PARTITION", 2)
    monkeypatch.setattr(corpus_index, "READ_CHUNK", 1)
    monkeypatch.setattr(corpus_index, "MAPPED_CHUNK", 3)
    pieces = clean(folder, boilerplate_min_docs=3)[0]
    removed = {doc.doc_id: [r["paragraph"] for r in doc.removed] for doc in pieces.itertuples()}
    assert removed == {f"in/{name}": [footer] if "story" in name else [] for name in articles}
    assert pieces.drop(columns="removed").equals(whole.drop(columns="removed"))
    assert removed == {
        doc.doc_id: [r["paragraph"] for r in doc.removed] for doc in whole.itertuples()
    }

"""The evaluations' labelling rules, on small hand-made inputs whose right labels are plain.

``make eval`` scores the cleaner against these labels; a wrong label would move every figure
in the README without a line of the cleaner changing.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import cleaner
from bench.evaluate import Article, Case, distinct_pair, score
from bench.evaluate_documents import Truth, Wire, label_reuters, label_telegram, pair
from bench.harness import Document, Outcome, Removal

DAY = datetime.date(1987, 3, 2)
LONG_BODY = (
    "The Agriculture Department said the winter wheat crop was in good condition across the "
    "southern plains after rain last week and that planting of spring wheat would begin soon "
    "in the northern states"
)


def wire(newid: int, title: str, body: str, day: datetime.date | None = DAY) -> Wire:
    return Wire(f"reuters/{newid}", newid, title, day, body)


def reuters_labels(*wires: Wire) -> Truth:
    truth = Truth()
    label_reuters(wires, truth)
    return truth


def test_identical_reuters_bodies_are_labelled_duplicates() -> None:
    truth = reuters_labels(wire(1, "WHEAT CROP GOOD", LONG_BODY), wire(2, "CROP", LONG_BODY))
    assert truth.labelled == {("reuters/1", "reuters/2"): "reuters/identical-body"}
    assert not truth.negative and not truth.related


def test_a_short_body_under_two_companies_tickers_is_two_pieces_of_news() -> None:
    body = "Qtly div 20 cts vs 20 cts prior Pay April 15 Record April 1"
    truth = reuters_labels(
        wire(1, "<OAT> QUAKER OATS SETS DIVIDEND", body),
        wire(2, "<UBCP> UNITED BANCORP SETS DIVIDEND", body),
        wire(3, "QUAKER OATS <OAT.N> DIVIDEND", body),  # the same company, its exchange named
    )
    assert truth.negative == {
        ("reuters/1", "reuters/2"): "reuters/templated-names",
        ("reuters/2", "reuters/3"): "reuters/templated-names",
    }
    assert truth.labelled == {("reuters/1", "reuters/3"): "reuters/identical-body"}


def test_bodies_that_differ_only_in_figures_must_not_cluster() -> None:
    truth = reuters_labels(
        wire(1, "HOG SLAUGHTER", "Hog slaughter guesstimated at 290000 head vs 285000 week ago"),
        wire(2, "HOG SLAUGHTER", "Hog slaughter guesstimated at 310000 head vs 290000 week ago"),
        wire(3, "CATTLE", "Cattle slaughter guesstimated at 125000 head vs 120000 week ago"),
    )
    assert truth.negative == {("reuters/1", "reuters/2"): "reuters/templated-figures"}
    assert not truth.labelled


def test_a_corrected_resend_is_paired_with_its_original_within_three_days() -> None:
    corrected = LONG_BODY.replace("last week", "on Sunday")
    late = LONG_BODY.replace("soon", "next week")
    frost = "Frost in March damaged a fifth of the winter wheat in Kansas, the state said today"
    rewritten = "Officials now expect a smaller harvest in Kansas because frost damaged the crop"
    truth = reuters_labels(
        wire(1, "USDA SAYS WINTER WHEAT CROP IN GOOD SHAPE", LONG_BODY),
        wire(2, "CORRECTED - USDA SAYS WINTER WHEAT CROP IN GOOD SHAPE", corrected),
        wire(3, "FROST DAMAGES KANSAS WHEAT", frost),
        wire(4, "RPT - FROST DAMAGES KANSAS WHEAT", rewritten, DAY.replace(day=4)),
        wire(5, "REPEAT - USDA SAYS WINTER WHEAT CROP IN GOOD SHAPE", late, DAY.replace(day=9)),
    )
    assert truth.labelled == {("reuters/1", "reuters/2"): "reuters/corrected"}
    # a rewritten correction is the same story, not the same text; a week later, no pair
    assert truth.related == {("reuters/3", "reuters/4"): "reuters/corrected-rewritten"}


FOOTER = "Подписывайтесь на наш канал @news_daily"


def post(n: int, channel: str, *paragraphs: str) -> tuple[str, str, list[str]]:
    return f"telegram/{channel}#{n}", channel, list(paragraphs)


def telegram_labels(*posts: tuple[str, str, list[str]]) -> Truth:
    truth = Truth()
    label_telegram(posts, truth)
    return truth


def footed(channel: str, count: int) -> list[tuple[str, str, list[str]]]:
    """``count`` posts of a channel about different things, each ending with FOOTER."""
    return [
        post(100 + n, channel, f"Новость номер {'раз' * (n + 1)} о погоде", FOOTER)
        for n in range(count)
    ]


def test_a_paragraph_ending_five_posts_of_a_channel_is_its_footer() -> None:
    assert telegram_labels(*footed("daily", 5)).footer_channels == {
        "подписывайтесь на наш канал news daily": {"daily"}
    }
    assert telegram_labels(*footed("daily", 4)).footers == set()


def test_posts_equal_but_for_case_punctuation_and_footers_are_cross_posts() -> None:
    truth = telegram_labels(
        *footed("daily", 5),
        post(1, "daily", "**Срочно:** в Москве открыли новую станцию метро «Тестовая»!", FOOTER),
        post(2, "other", "Срочно — в Москве открыли новую станцию метро Тестовая"),
        post(3, "other", "В Москве закрыли старую станцию метро «Тестовая»"),
    )
    assert truth.labelled == {pair("telegram/daily#1", "telegram/other#2"): "telegram/cross-post"}


def test_posts_that_are_nothing_but_footers_or_two_words_are_not_labelled() -> None:
    truth = telegram_labels(
        *footed("daily", 5),
        post(1, "daily", FOOTER),
        post(2, "other", FOOTER),
        post(3, "daily", "Доброе утро!"),
        post(4, "other", "Доброе утро"),
    )
    assert truth.labelled == {}


def test_posts_that_differ_only_in_figures_must_not_cluster() -> None:
    truth = telegram_labels(
        post(1, "rates", "Курс доллара на 12 марта: 91,5 рубля"),
        post(2, "rates", "Курс доллара на 13 марта: 92,1 рубля"),
        post(3, "rates", "Курс доллара на 13 марта: 92,1 рубля"),
    )
    assert truth.negative == {
        ("telegram/rates#1", "telegram/rates#2"): "telegram/templated-figures",
        ("telegram/rates#1", "telegram/rates#3"): "telegram/templated-figures",
    }
    assert truth.labelled == {("telegram/rates#2", "telegram/rates#3"): "telegram/cross-post"}


# --- Paragraph pairs (bench/evaluate.py) ------------------------------------------------------


def article(name: str, *paragraphs: str) -> Article:
    return Article("reuters", name, paragraphs, 0)


def test_look_alikes_that_differ_in_a_figure_are_a_fair_negative() -> None:
    articles = [
        article("a", "Net profit was 5 mln dlrs in the quarter against a loss", "Shr 10 cts"),
        article("b", "Net profit was 7 mln dlrs in the quarter against a loss", "Shr 12 cts"),
    ]
    assert distinct_pair(articles, (0, 0), (1, 0), one_word=False)


def test_look_alikes_that_differ_only_in_spelling_are_the_same_paragraph() -> None:
    articles = [
        article("a", "Qtly div 10 cts vs 10 cts prior pay April 1"),
        article("b", "Qtrly div 10 cts vs 10 cts prior pay April 1"),
        article("c", "Qtly dividend 10 cts vs 10 cts prior pay April 1"),
    ]
    assert not distinct_pair(articles, (0, 0), (1, 0), one_word=False)
    assert not distinct_pair(articles, (0, 0), (2, 0), one_word=False)


def test_look_alikes_from_two_sends_of_one_story_are_no_negative() -> None:
    shared = "The bank said it would raise its prime lending rate by half a point on Monday"
    articles = [
        article("a", "Profit was 5 mln dlrs in the quarter against a loss", shared),
        article("b", "Profit was 7 mln dlrs in the quarter against a loss", shared),
        article("c", "Profit was 9 mln dlrs in the quarter against a loss", "Other news"),
    ]
    assert not distinct_pair(articles, (0, 0), (1, 0), one_word=False)
    assert distinct_pair(articles, (0, 0), (2, 0), one_word=False)
    assert not distinct_pair(articles, (0, 0), (0, 0), one_word=False)  # one article


def test_short_look_alikes_must_differ_in_exactly_one_real_word() -> None:
    articles = [
        article("a", "Shares of the bank rose sharply"),
        article("b", "Shares of the bank fell sharply"),
        article("c", "Shares of the bank rose sharpyl"),  # a typo: the same paragraph
    ]
    assert distinct_pair(articles, (0, 0), (1, 0), one_word=True)
    assert not distinct_pair(articles, (0, 0), (2, 0), one_word=True)


def removal(index: int, repeats_index: int, paragraph: str = "x") -> Removal:
    return Removal(index, paragraph, "near_duplicate", paragraph, repeats_index, 0.9, 0.9)


def outcome(*documents: Document) -> Outcome:
    return Outcome({d.doc_id: d for d in documents}, {}, cleaner.Report(Path("c.parquet")))


def test_removing_the_injected_copy_is_a_hit_and_anything_else_a_false_positive() -> None:
    paragraphs = ["Lead.", "Body of the story.", "Lead, again.", "End."]
    case = Case("exact/repeated-later", "bbc", "x.txt", paragraphs, {2: 0})
    cleaned = Document("x", "x", "utf-8", False, paragraphs, [removal(2, 0), removal(3, 1)])
    scores = score({"x": case}, outcome(cleaned), 2)
    tally = scores.categories["exact"]
    assert (tally.cases, tally.copies, tally.removed, tally.true_positives) == (1, 1, 2, 1)
    assert (tally.false_positives, tally.misses) == (1, 0)
    (wrong,) = scores.false_positives
    assert (wrong.left, wrong.right) == ("End.", "Body of the story.")
    assert "natural #3\nfor natural #1" in wrong.note
    assert scores.misses == []


def test_a_copy_left_in_is_a_miss_and_a_removed_look_alike_a_false_positive() -> None:
    paragraphs = ["Profit was 5 mln.", "Profit was 7 mln.", "Lead.", "Lead."]
    negative = Case("negative/templated-figures", "reuters", "n", paragraphs[:2], {}, (0, 1))
    copy = Case("exact/lead-doubled", "reuters", "c", paragraphs[2:], {1: 0})
    scores = score(
        {"n": negative, "c": copy},
        outcome(
            Document("n", "n", "utf-8", False, paragraphs[:2], [removal(1, 0)]),
            Document("c", "c", "utf-8", False, paragraphs[2:], []),
        ),
        2,
    )
    assert scores.categories["negative"].false_positives == 1
    assert "look-alike #1\nfor look-alike #0" in scores.false_positives[0].note
    (miss,) = scores.misses
    assert (miss.case, miss.figures, miss.note) == ("c", {"similarity": 1.0}, "same key")
    assert scores.categories["exact"].recall == 0.0


def test_a_case_read_back_otherwise_or_not_at_all_is_not_scored() -> None:
    split = Case("exact/lead-doubled", "bbc", "s", ["One.", "One."], {1: 0})
    lost = Case("exact/lead-doubled", "bbc", "l", ["Two.", "Two."], {1: 0})
    scores = score(
        {"s": split, "l": lost},
        outcome(Document("s", "s", "utf-8", False, ["One. One."], [])),
        2,
    )
    assert (scores.mismatched, scores.unread) == (["s"], ["l"])
    assert scores.categories == {}


def test_a_web_host_that_gives_a_heading_again_with_other_punctuation_hosts_no_case() -> None:
    from bench.evaluate import has_word_repeat

    toc = [
        "Seite 1 \\ A wie Anno 1800",
        "Ein Absatz über etwas anderes.",
        "Seite 1 A wie Anno 1800",
    ]
    assert has_word_repeat(toc)
    assert not has_word_repeat(["Seite 1 A wie Anno 1800", "Seite 2 B wie Bauen"])


def test_a_revised_rescrape_keeps_its_headline_and_changes_one_short_paragraph() -> None:
    """``updates/revised``: a paragraph of another article added, one of its own taken out,
    or a note put among its paragraphs; never before the headline, and a paragraph added or
    taken out is at most ``REVISED_SHARE`` of the words (a revision, not another story).
    Capitals and figures only, so that the words an editor changes leave these alone."""
    from random import Random

    from bench.evaluate_documents import revised

    article = ["HEADLINE", *(f"PARAGRAPH {n} " + "WORD " * 8 for n in range(3)), "A B C"]
    elsewhere = ["OTHER HEADLINE", "LONG " * 30, "SHORT ONE HERE"]
    kinds = set()
    for seed in range(100):
        text = revised(article, elsewhere, Random(seed))
        assert text is not None and text[0] == "HEADLINE"
        added = [p for p in text if p not in article]
        taken = [p for p in article if p not in text]
        assert "LONG " * 30 not in text
        if added == ["SHORT ONE HERE"]:
            kinds.add("insert")
        elif added:
            kinds.add("note")  # a note with a time or a date, not at the top
            assert len(added) == 1 and text.index(added[0]) > 0
        else:
            kinds.add("remove")  # the short paragraph: the others are over a fifth
            assert taken == ["A B C"]
        assert len(text) == len(article) + len(added) - len(taken)
    assert kinds == {"insert", "remove", "note"}

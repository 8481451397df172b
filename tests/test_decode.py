"""Decoding: real files in many encodings must decode to the text their true encoding gives."""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
from pathlib import Path

import pytest

from cleaner.decode import Fields, decode_bytes, records
from cleaner.document import Rejected
from tests.conftest import FIXTURES, SHARED_DATA, shared

KNOWN_FAILURES = {
    line.strip()
    for line in (Path(__file__).parent / "cases" / "decode_known_failures.txt")
    .read_text()
    .splitlines()
    if line.strip() and not line.startswith("#")
}


def test_cp1251_article_and_its_utf8_twin_decode_identically() -> None:
    data = (FIXTURES / "003_moscow_metro_cp1251.txt").read_bytes()
    text, encoding = decode_bytes(data)
    assert encoding == "cp1251"
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")


def test_utf8_with_bom_loses_the_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + "Привет, мир".encode()) == ("Привет, мир", "utf-8-sig")


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_utf16_with_bom_is_text_not_binary(bom: bytes) -> None:
    codec = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    text, _ = decode_bytes(bom + "Новости дня: всё спокойно.\n".encode(codec))
    assert text.strip().endswith("всё спокойно.")


def test_binary_bytes_are_rejected() -> None:
    with pytest.raises(Rejected) as caught:
        decode_bytes((FIXTURES / "007_binary.txt").read_bytes())
    assert caught.value.reason == "binary"


def test_json_array_and_lines_give_records_with_ids_or_positions() -> None:
    array = records('[{"id": 5, "text": "a"}, {"text": "b"}, 3]', "records", Fields("text"))
    got = [(r.reason, r.key) if isinstance(r, Rejected) else (r.key, r.text) for r in array]
    assert got == [("5", "a"), ("2", "b"), ("bad_record", "3")]
    lines = records('{"text": "a"}\n\nnot json\n{"text": 1}\n', "records", Fields("text"))
    got = [(r.reason, r.key) if isinstance(r, Rejected) else (r.key, r.text) for r in lines]
    assert got == [("1", "a"), ("bad_json", "3"), ("bad_record", "4")]


def _manifest() -> list[tuple[str, str]]:
    manifest = SHARED_DATA / "charset_dataset_multiencoding" / "manifest.csv"
    if not manifest.exists():
        return []
    rows = []
    for row in csv.DictReader(manifest.open()):
        try:
            codecs.lookup(row["expected_encoding"])
        except LookupError:
            continue  # "None" (binary) and encodings Python has no codec for
        rows.append((row["path"], row["expected_encoding"]))
    return rows


@pytest.mark.parametrize(
    ("path", "encoding"),
    [
        pytest.param(p, e, marks=[pytest.mark.xfail(strict=True)] if p in KNOWN_FAILURES else [])
        for p, e in _manifest()
    ]
    or [pytest.param("", "", marks=pytest.mark.skip("../shared/data is absent"))],
)
def test_charset_dataset_decodes_as_its_true_encoding(path: str, encoding: str) -> None:
    data = shared("charset_dataset_multiencoding", path).read_bytes()
    expected = data.decode(encoding).removeprefix("\ufeff")
    assert decode_bytes(data)[0] == expected


def test_binary_files_of_the_charset_dataset_are_rejected() -> None:
    folder = shared("charset_dataset_multiencoding", "files", "None")
    for path in sorted(folder.iterdir()):
        with pytest.raises(Rejected):
            decode_bytes(path.read_bytes())


def test_charset_normalizer_samples_decode_as_expected() -> None:
    folder = shared("charset_normalizer_sdist_samples")
    for row in csv.DictReader((folder / "expected_encodings.csv").open()):
        data = (folder / row["file"]).read_bytes()
        expected = data.decode(row["expected_charset"]).removeprefix("\ufeff")
        assert decode_bytes(data)[0] == expected, row["file"]


def _telegram_posts(shortest: int, longest: int, encoding: str) -> list[bytes]:
    """The posts of the Telegram corpus of ``shortest`` to ``longest`` characters that
    ``encoding`` can encode whole, in it: what an old Russian scraper saves."""
    posts = []
    for path in sorted(shared("russian_telegram_news_posts", "raw").glob("*.json")):
        for post in json.loads(path.read_text()):
            text = post.get("text")
            if isinstance(text, str) and shortest <= len(text) < longest:
                with contextlib.suppress(UnicodeEncodeError):
                    posts.append(text.encode(encoding))
    return posts


def _share_decoded(posts: list[bytes], encoding: str) -> float:
    def right(data: bytes) -> bool:
        try:
            return decode_bytes(data)[0] == data.decode(encoding)
        except Rejected:
            return False

    return sum(map(right, posts)) / len(posts)


def test_telegram_posts_of_600_characters_and_more_in_cp1251_decode_right() -> None:
    posts = _telegram_posts(600, 1 << 20, "cp1251")
    assert len(posts) > 1000
    assert _share_decoded(posts, "cp1251") == 1.0


# Shares of all the short posts decoded right, with the typography of decode._detect (and
# with charset-normalizer's first guess alone): cp1251 99.5% (98.0%), KOI8-R 92.9% (82.1%),
# Mac Cyrillic 97.3% (89.5%). The floors sit below, for every third post.
@pytest.mark.parametrize(
    ("encoding", "floor"), [("cp1251", 0.99), ("koi8_r", 0.9), ("mac_cyrillic", 0.95)]
)
def test_short_telegram_posts_in_old_cyrillic_encodings_mostly_decode_right(
    encoding: str, floor: float
) -> None:
    """Posts of 20 to 600 characters, every third (a scraper saves many this short)."""
    posts = _telegram_posts(20, 600, encoding)[::3]
    assert len(posts) > 1000
    assert _share_decoded(posts, encoding) >= floor


@pytest.mark.xfail(
    strict=True,
    reason="28 of 5,750 short cp1251 posts still decode wrong: a few words that Mac Cyrillic,"
    " cp1250 or Mac Greek spell as well, and two that charset-normalizer rejects",
)
def test_every_short_telegram_post_in_cp1251_decodes_right() -> None:
    posts = _telegram_posts(20, 600, "cp1251")
    assert _share_decoded(posts, "cp1251") == 1.0


def test_utf8_fast_path_equals_the_incremental_decoder_on_real_text() -> None:
    from cleaner.decode import _utf8

    files = [p.read_bytes() for p in sorted(shared("bbc_news_fulltext", "bbc").glob("*/*.txt"))]
    files += [p.read_bytes() for p in FIXTURES.iterdir()]
    files = [*files[::10], "Всё спокойно, «новости» — 💡".encode()]
    for data in files:
        for cut in (len(data), len(data) - 1, len(data) - 2):  # whole, and cut inside a character
            piece = data[:cut]
            try:
                expected = codecs.getincrementaldecoder("utf-8")().decode(piece, final=False)
            except UnicodeDecodeError:
                continue
            assert _utf8(piece) == expected

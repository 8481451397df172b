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


def _telegram_posts_in_cp1251(shortest: int, longest: int) -> list[bytes]:
    """The posts of the Telegram corpus that cp1251 can encode whole, of ``shortest`` to
    ``longest`` bytes, in cp1251: what an old Russian scraper saves."""
    posts = []
    for path in sorted(shared("russian_telegram_news_posts", "raw").glob("*.json")):
        for post in json.loads(path.read_text()):
            text = post.get("text")
            if isinstance(text, str) and shortest <= len(text) < longest:
                with contextlib.suppress(UnicodeEncodeError):
                    posts.append(text.encode("cp1251"))
    return posts


def _decoded_as_cp1251(data: bytes) -> bool:
    try:
        return decode_bytes(data)[0] == data.decode("cp1251")
    except Rejected:
        return False


def test_telegram_posts_of_600_bytes_and_more_in_cp1251_decode_right() -> None:
    posts = _telegram_posts_in_cp1251(600, 1 << 20)
    assert len(posts) > 1000
    assert all(_decoded_as_cp1251(data) for data in posts)


@pytest.mark.xfail(
    strict=True,
    reason="charset-normalizer takes 2% of short cp1251 posts for mac_cyrillic (capitals become"
    " symbols), cp1250, cp874, mac_greek or koi8_r, and rejects two as undecodable",
)
def test_short_telegram_posts_in_cp1251_decode_right() -> None:
    """Posts of 20 to 600 characters: 5,751 of them; a scraper saves many this short."""
    posts = _telegram_posts_in_cp1251(20, 600)
    assert len(posts) > 5000
    right = sum(map(_decoded_as_cp1251, posts))
    assert right >= 0.995 * len(posts)


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

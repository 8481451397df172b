"""Decode: bytes to text, then a file's text to documents.

Valid UTF-8 (with or without a byte-order mark) is taken as it is; anything else is handed to
charset-normalizer, and the encoding it settles on is recorded with every document. Bytes
that no code page fits may still be lines of UTF-8 among lines of one code page (mojibake
saved again, a pasted fragment), read as such (:func:`_decode_mixed`); bytes that decode to
nothing sensible (binary files) are rejected, not guessed at.

The container format is decoded here too: an article file is one document, a JSON Lines file
one document per line, a JSON file one per element of its top-level array (or one, when it
holds a single object). A page (a ``.html``
file, or a ``.txt`` that holds one) is one document whose text is still markup: the extract
stage takes its main text out (:mod:`cleaner.extract`).
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from cleaner.document import Meta, Rejected
from cleaner.metadata import KNOWN_FIELDS, TEXT_FIELDS, from_record, language_guess
from cleaner.sources import DOCUMENT_KINDS

# Byte-order marks that make NUL bytes legitimate; without one, NULs mean binary.
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SNIFF = 8192
# UTF-16/32 text without a BOM has a NUL in every second or fourth byte, binary files have
# them everywhere; valid UTF-8 with fewer is text with stray NULs, which repair removes.
_STRAY_NULS = 0.1
# Malformed JSON, and also well-formed JSON that Python refuses: integers of more than 4300
# digits (ValueError) and arrays nested deeper than the recursion limit.
_JSON_ERRORS = (ValueError, RecursionError)


def decode_bytes(
    data: bytes, declared: str | None = None, head: bytes | None = None
) -> tuple[str, str]:
    """Return ``(text, encoding)`` for a file's bytes.

    ``declared`` is the encoding the file says it is in (a page's ``<meta charset>``): bytes
    that are not UTF-8 are decoded with it when they can be, before any guessing. ``head``:
    the first bytes of the file when ``data`` is a later piece of it (see
    :mod:`cleaner.pieces`); a byte-order mark and the share of NUL bytes are the file's, so
    that UTF-8 pieces decode to the same text, with the same encoding, as the whole file.

    >>> decode_bytes("Новости дня: всё спокойно.".encode("cp1251"))
    ('Новости дня: всё спокойно.', 'cp1251')

    Detection needs a sentence or so: a word or two of cp1251 can pass for Big5.

    UTF-8 cut off inside its last character (a truncated download) is still UTF-8: the
    partial character is dropped, not the article.

    >>> decode_bytes("Всё спокойно".encode()[:-1])
    ('Всё спокойн', 'utf-8')
    """
    start = data if head is None else head
    if start.startswith(codecs.BOM_UTF8):
        try:
            return _utf8(data[3:] if head is None else data), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        try:
            text = _utf8(data)
        except UnicodeDecodeError:
            pass
        else:
            sniff = start[:_SNIFF]
            if sniff.count(b"\x00") < _STRAY_NULS * len(sniff):
                return text, "utf-8"
    if b"\x00" in data[:_SNIFF] and not data.startswith(_BOMS):
        return _decode_nul_bearing(data)
    damaged = _damaged_utf8(data.removeprefix(codecs.BOM_UTF8) if head is None else data)
    if damaged is not None:
        return damaged, DAMAGED_UTF8
    if declared is not None:
        try:
            return data.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            pass
    found = _detect_legacy(data)
    if found is None:
        raise Rejected("undecodable", "no text encoding fits these bytes")
    return found


def _detect(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's guess as ``(text, encoding)``, or None: of the encodings it finds
    as clean as its best (:data:`_AS_CLEAN`), the one the evidence and the prior favour
    (:func:`_likeliest`). Imported on first use: UTF-8 text, nearly all of it, never needs
    it, and ``cleaner fix`` starts faster without.

    On a short text charset-normalizer has little to go on, and code pages that agree on
    most bytes tie: 2% of the Telegram posts of 20 to 600 characters saved in cp1251 came
    out as Mac Cyrillic (which has no capital where cp1251 has them), Central European or
    Thai, and a cp1251 text with a line of mojibake as Kazakh (ptcp154), whose letters sit
    where cp1251 has the punctuation mojibake is made of. The tests measure the rule on
    short posts in five Cyrillic encodings, on posts with mojibake, and on the charset
    dataset.
    """
    tied = _tied(data)
    if not tied:
        return None
    if len(tied) == 1:
        return str(tied[0]), tied[0].encoding
    return _likeliest([_candidate(data, match) for match in tied])


def _tied(data: bytes) -> list[Any]:
    """charset-normalizer's matches as clean as its best (:data:`_AS_CLEAN`), the best
    first; none when no code page is clean enough."""
    from charset_normalizer import from_bytes

    found = from_bytes(data)
    if found.best() is None:  # sorts the matches, cleanest first
        return []
    matches = [match for match in found if not _scattered_halfwidth(match)] or list(found)
    best = matches[0]
    return [match for match in matches if match.chaos <= best.chaos + _AS_CLEAN]


def _scattered_halfwidth(match: Any) -> bool:
    """Whether a match is a Shift_JIS reading with nothing Japanese in it: its characters
    outside ASCII are all halfwidth katakana and punctuation (JIS X 0201, the single bytes
    A1-DF), not one double-byte character.

    That is what a Latin code page's symbols look like, read as Shift_JIS: a cp1252 "£" is
    "｣", and the UTF-8 "£" of a pasted paragraph is "ﾂ｣". Japanese text in Shift_JIS is
    made of double-byte kana and kanji; halfwidth katakana, where used, stand beside them.
    charset-normalizer finds such a reading cleaner than cp1252's ("｣100m" against "£100m")
    and read 67 of 431 BBC articles with a "£" saved in cp1252 as cp932. It is passed over
    when charset-normalizer has another match.
    """
    from charset_normalizer.utils import is_multi_byte_encoding

    if not is_multi_byte_encoding(match.encoding):
        return False
    text = str(match)
    return not text.isascii() and _HALFWIDTH_ONLY.fullmatch(text) is not None


_HALFWIDTH_ONLY = re.compile(r"[\x00-\x7f\uff61-\uff9f]*")


def _detect_legacy(data: bytes) -> tuple[str, str] | None:
    """Bytes that are not UTF-8 as ``(text, encoding)``, or None: read in one code page
    (:func:`_detect`), or as lines of UTF-8 among lines of one single-byte code page when
    some line is UTF-8 beyond doubt (:func:`_decode_mixed`), unless the whole reads as a
    double-byte encoding, whose lines can pass for UTF-8 (see there)."""
    from charset_normalizer.utils import is_multi_byte_encoding

    whole = _detect(data)
    if whole is not None and is_multi_byte_encoding(whole[1]):
        return whole
    return _decode_mixed(data) or whole


def _decode_mixed(data: bytes) -> tuple[str, str] | None:
    """Bytes read as lines of UTF-8 among lines of one single-byte code page, named
    ``<code page>+utf-8`` (``cp1251+utf-8``); None when no line is UTF-8 beyond doubt, or
    the other lines fit no single-byte code page.

    A scraper that took a UTF-8 page for its own code page and saved what it read in that
    code page again (mojibake: "Привет" read as cp1251 is "РџСЂРёРІРµС‚") has written the
    page's UTF-8 bytes as they were; so has one that pasted a UTF-8 fragment into a
    legacy page, or a legacy line into a UTF-8 one. charset-normalizer reads a file in one
    code page, in which such lines are a mess: it rejects 78% of the Telegram posts in cp1251
    with one line in UTF-8, 93% in KOI8-R, and reads most of the rest in a code page whose
    letters make the mojibake look like words (Kazakh, Mac Cyrillic; cp1250 for German), which
    repair cannot undo. Here a line that is UTF-8 beyond doubt (:func:`_utf8_line`) is read
    as UTF-8; the other lines, together, go to charset-normalizer; the code pages it finds as
    clean as its best are judged (:func:`_likeliest`) on the whole document each makes, so
    that typography and the language see the lines in UTF-8 too. A valid UTF-8 line with
    fewer characters outside ASCII stays with the code page's lines: legacy text passes for
    it by chance ("Е», В°." in cp1251), and repair undoes its mojibake where ftfy knows the
    code page.

    The lines in UTF-8 make the case only beside a single-byte code page: double-byte
    ones (GBK, EUC, Big5, Shift_JIS, Johab) pair bytes of A1-FE, many a lead and a
    continuation byte of UTF-8, so that a line of Johab box drawing is valid UTF-8 (of
    Arabic marks). A file that reads whole in such an encoding is left so
    (:func:`_detect_legacy`), and other lines that fit only such an encoding leave the file
    to its reading in one encoding.
    """
    from charset_normalizer.utils import is_multi_byte_encoding

    lines = data.splitlines(keepends=True)
    in_utf8 = [_utf8_line(line) for line in lines]
    if not any(in_utf8):
        return None
    rest = b"".join(line for line, utf8 in zip(lines, in_utf8, strict=True) if not utf8)
    candidates = []
    for match in _tied(rest):
        candidate = _candidate(rest, match)
        if is_multi_byte_encoding(candidate.encoding):
            continue
        # single-byte: each line decodes alone as the lines did together
        text = "".join(
            line.decode("utf-8" if utf8 else candidate.encoding)
            for line, utf8 in zip(lines, in_utf8, strict=True)
        )
        candidates.append(replace(candidate, text=text))
    if not candidates:
        return None
    text, encoding = _likeliest(candidates)
    return text, f"{encoding}+utf-8"


def _utf8_line(line: bytes) -> bool:
    """Whether a line is UTF-8 beyond doubt: it decodes as UTF-8 and holds
    :data:`_EVIDENCE` characters or more outside ASCII.

    In UTF-8 every byte from 80 to FF belongs to a sequence: a lead byte (C2-DF, E0-EF or
    F0-F4) and exactly one, two or three continuation bytes (80-BF). The code pages of
    alphabetic scripts put most of their letters in C0-FF (cp1250 to cp1258, KOI8, ISO-8859,
    Mac's small letters), where each is a lead byte or invalid, and a letter is followed by
    a letter, a space or punctuation, seldom by the continuation bytes a lead needs: 80-BF
    hold their punctuation, symbols and rarer letters ("»", "ё" and "і" in cp1251), or, in
    cp866 and ISO-8859-5, a part of the alphabet. A line of such text is valid UTF-8 only
    when each of its characters outside ASCII happens to be followed by the right number of
    bytes of 80-BF and no byte of 80-BF stands alone: cp1251's "Е»" (C5 BB) is UTF-8 "Ż",
    but "НЕ»" is no UTF-8. If a character forms a sequence by chance with probability q, a
    line with n of them passes with q**n; on real text q is small enough that, of the
    400,315 lines outside ASCII of the Telegram posts saved in cp1251, KOI8-R, ISO-8859-5,
    cp866 and Mac Cyrillic, one is valid UTF-8 with one character outside ASCII
    (ISO-8859-5), one with two (cp866's "??списки;" is "??ᯨ᪨;") and none with more; of
    3,703 lines of BBC articles and German, French and Spanish web text in cp1252, cp1250
    and ISO-8859-2, none (``python -m bench.evaluate_decode``). A line in UTF-8 holds a
    character outside ASCII for every letter of Cyrillic, Greek or Arabic, and one for every
    accented letter or typographic quote of a Latin script.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _beyond_ascii(text) >= _EVIDENCE


def _beyond_ascii(text: str) -> int:
    """How many characters of a text are outside ASCII."""
    return len(text) - len(text.encode("ascii", "ignore"))


_EVIDENCE = 3  # characters outside ASCII that make a valid line UTF-8 beyond doubt


_AS_CLEAN = 0.02  # charset-normalizer's mess ratios this close are a tie
_READ_CHARS = 65536  # of each candidate text, for the typography


@dataclass(frozen=True)
class _Candidate:
    text: str
    encoding: str
    coherence: float  # charset-normalizer's: how well the letters fit a language
    rarity: int  # :data:`_RARITY`

    @property
    def typography(self) -> int:
        return _typography(self.text[:_READ_CHARS])

    @property
    def fit(self) -> tuple[str, float]:
        """:func:`_language_fit` of the text."""
        return _language_fit(self.text[:_READ_CHARS])


def _candidate(data: bytes, match: Any) -> _Candidate:
    """A tied match, named after the commonest code page that gives the same text:
    charset-normalizer tries only one of code pages that agree on most bytes (cp1125 for
    cp866, ptcp154 for cp1251), and the prior is of the text, not of the name."""
    from charset_normalizer.constant import IANA_SUPPORTED_SIMILAR

    text, encoding = str(match), match.encoding
    rarity = _rarity(encoding)
    for sibling in IANA_SUPPORTED_SIMILAR.get(encoding, ()):
        if _rarity(sibling) < rarity and data.decode(sibling, "replace") == text:
            encoding, rarity = sibling, _rarity(sibling)
    return _Candidate(text, encoding, match.coherence, rarity)


def _likeliest(tied: list[_Candidate]) -> tuple[str, str]:
    """Of candidates equally clean, in charset-normalizer's order: the evidence the bytes
    give first, the prior when they give none.

    1. A code page no browser decodes (:data:`_RARITY` 3: DOS, Kazakh, most Mac ones) is
       out when one that browsers decode ties with it. Web and news text is hardly ever
       in them, so most of the ties they would win are misreadings of the few bytes where
       they differ from a common code page: cp1251 mojibake ("С€", UTF-8 read as cp1251)
       becomes Kazakh letters in ptcp154, a "Â£" Baltic ones in cp775, and typography
       sees letters there, not the symbols it should. A real text in such a code page
       puts its own letters where the common one has symbols, is messier in the common
       one and so seldom ties with it (two DOS samples of the charset dataset do).
    2. Typography (:func:`_typography`), then how well the text fits its language to CLD2
       (:func:`_best_fitting`), then charset-normalizer's coherence (a tie within
       :data:`_SAME_COHERENCE`, its own margin). The prior cannot come first among the
       code pages browsers decode: cp1251 ties with two thirds of the Telegram posts
       saved in Mac Cyrillic, its reading of their capitals as symbols or Serbian letters
       ("Њосква") no messier to charset-normalizer, and typography or the letter
       frequencies of the language tell them apart. Nor can it come before the language:
       cp1252 reads the letters of Czech and Hungarian in cp1250 or ISO-8859-2 as letters
       too ("ě" as "ì", "ő" as "õ"), as Capitalised, and as coherent to charset-normalizer,
       which ranks a text's commonest letters against a language's and so sees little of
       the few letters where two code pages of one script differ; but the words it spells
       are no language's, and CLD2 scores words (their runs of letters).
    3. When the text says nothing (the same score, fit and coherence), the commonest code
       page (:data:`_RARITY`): "Profits of £5m" is "Ł5m" in cp1250, which the text cannot
       settle; then charset-normalizer's order.
    """
    web = [candidate for candidate in tied if candidate.rarity < _NOT_ON_THE_WEB]
    scored = [(candidate.typography, candidate) for candidate in web or tied]
    top = max(score for score, _ in scored)
    kept = [candidate for score, candidate in scored if score == top]
    kept = _best_fitting(kept)
    coherent = max(candidate.coherence for candidate in kept)
    kept = [c for c in kept if c.coherence >= coherent - _SAME_COHERENCE]
    # min() keeps the first of equals: charset-normalizer's order
    chosen = min(kept, key=lambda candidate: candidate.rarity)
    return chosen.text, chosen.encoding


_SAME_COHERENCE = 0.02  # charset-normalizer's own: CharsetMatch.__lt__
_SAME_FIT = 0.02  # CLD2 fits this close are a tie


def _best_fitting(kept: list[_Candidate]) -> list[_Candidate]:
    """The candidates whose text fits its language about as well as the best one's, when
    CLD2 reads every candidate as the same language; all of them when it does not.

    CLD2 scores a text by how often its runs of letters occur in the language it finds. A
    code page that reads a few bytes as other letters of the same script than the right one
    spells the words that hold them in a way the language does not ("vìtšina" for
    "většina", "õ" for "ő", "adým" for "adım"), which lowers the score however the letters
    look to typography and to charset-normalizer. The score is of one language, though:
    CLD2 gives a language that alone has its script, Greek or Thai, a fixed score, so that
    scores of different languages compare nothing. And it is per kilobyte of the text in
    that language: a reading that takes the disputed bytes out of the language's script
    (mojibake read as Japanese) would escape their cost, so it is weighed by the share of
    the text in the language (:func:`_language_fit`). Scores closer than :data:`_SAME_FIT`
    are a tie: the share is a whole per cent, and a few characters move the score that
    much.
    """
    if len(kept) < 2:
        return kept
    fits = [candidate.fit for candidate in kept]
    languages = {language for language, _ in fits}
    if len(languages) > 1 or "un" in languages:
        return kept
    best = max(score for _, score in fits)
    return [c for c, (_, score) in zip(kept, fits, strict=True) if score >= best * (1 - _SAME_FIT)]


def _language_fit(text: str) -> tuple[str, float]:
    """CLD2's likeliest language of a text and its score per kilobyte of all the text CLD2
    scores (its score per kilobyte of the text in the language, times that text's share),
    ``("un", 0.0)`` for none."""
    guess = language_guess(_CONTROL.sub(" ", text))
    if guess is None:
        return "un", 0.0
    _, language, share, score = guess
    return language, score * share / 100


# Control characters, which CLD2 refuses, as spaces: where a code page reads a letter as one
# (ISO-8859-2 reads cp1250's "š" as U+009A), the word is cut in two and fits its language worse.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# The prior: how common each code page is in web and news text, in tiers, from memory of
# W3Techs' survey of the encodings of websites (2023-24: UTF-8 98%, ISO-8859-1 with
# Windows-1252 about 1.4%, each other code page 0.3% or less) and of the WHATWG Encoding
# Standard, the code pages a browser decodes at all. Python's codec names, as
# charset-normalizer reports them.
_COMMONEST = ("cp1252",)  # with ISO-8859-1, whose label browsers decode as Windows-1252
_COMMON = (
    # the locale defaults of browsers and the other code pages W3Techs finds on 0.01% or
    # more; latin_1 proper differs from cp1252 only in putting C1 controls for its symbols
    *("latin_1", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258"),
    *("cp874", "tis_620", "iso8859_11", "iso8859_2", "iso8859_7", "iso8859_9", "iso8859_15"),
    *("koi8_r", "cp932", "shift_jis", "shift_jis_2004", "euc_jp", "euc_jis_2004"),
    *("iso2022_jp", "gb2312", "gbk", "gb18030", "big5", "big5hkscs", "cp950", "euc_kr"),
    *("cp949", "iso2022_kr", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le"),
    *("utf_32_be", "utf_8", "ascii"),
)
_RARE = (
    # in the WHATWG standard, so browsers decode them, but hardly a page declares them
    *("cp866", "koi8_u", "mac_cyrillic", "mac_roman", "iso8859_3", "iso8859_4", "iso8859_5"),
    *("iso8859_6", "iso8859_8", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_16"),
)
_NOT_ON_THE_WEB = 3  # every other code page: DOS, Mac, EBCDIC, Kazakh, ...
_RARITY = {
    **dict.fromkeys(_COMMONEST, 0),
    **dict.fromkeys(_COMMON, 1),
    **dict.fromkeys(_RARE, 2),
}


def _rarity(encoding: str) -> int:
    """0 for the commonest code page of web and news text, up to :data:`_NOT_ON_THE_WEB`."""
    return _RARITY.get(encoding, _NOT_ON_THE_WEB)


def _typography(text: str) -> int:
    """How far a decoded text keeps the typography of every script with letters, which a
    wrong code page breaks where it puts other characters in the place of letters: the
    sentences that start with a Capitalised word, less those that start with a small letter,
    less the words and characters out of place:

    - a word of mixed case, with a letter outside ASCII (words are Capitalised, in
      capitals or in small letters: "йЮЙ" is KOI8-R's "Как" read as cp1251);
    - inside a word, a character that is neither a letter, a mark, a punctuation mark nor a
      space ("урс¬ой").

    Sentences start the text, a line, or follow ". ": not "? ", as a scraper that saved a
    text in an encoding without emoji left a "?" for each. The events are counted, not
    divided: the candidates decode the same bytes, so their sentences start at the same
    places, where a script without capitals counts neither for nor against. "»здание"
    (cp1251's "Издание" read as Mac Cyrillic, which has its capitals elsewhere) counts
    against, "Издание" for.

    >>> _typography("Издание сообщает."), _typography("»здание сообщает.")
    (1, -1)
    >>> _typography("Как дела. йЮЙ ДЕКЮ.")
    -1
    """
    starts: list[str] = _SENTENCE_START.findall(text)
    score = sum(map(_capitalised, starts)) - sum(word[0].islower() for word in starts)
    score -= sum(_mixed_case(word) for word in _WORD.findall(text) if not word.isascii())
    inside: list[str] = _INSIDE_WORD.findall(text)
    return score - sum(unicodedata.category(c)[0] not in "LMPZ" for c in inside)


def _capitalised(word: str) -> bool:
    """A capital, then small letters, if any: not a word in capitals, which a code page
    that swaps the cases (KOI8-R read as cp1251) makes of a word in small letters."""
    return word[0].isupper() and (len(word) == 1 or word[1:].islower())


def _mixed_case(word: str) -> bool:
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


_WORD = re.compile(r"[^\W\d_]{2,}")
_INSIDE_WORD = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f](?=[^\W\d_])")
_SENTENCE_START = re.compile(r"(?:\A|[.\u2026]\s+|\n)[\W\d_]*?([^\W\d_]+)")


# UTF-8 in which a few bytes are not: a character cut in two (an excerpt cut at a byte count,
# a truncated line), a Latin-1 "é" or a cp1252 quote pasted into a UTF-8 template. Its
# intact characters say what the text is; the damaged bytes are read as Windows-1252, what
# they most often are in such a text (a cut character loses only itself).
DAMAGED_UTF8 = "utf-8+cp1252"
# A text in another encoding forms a valid UTF-8 sequence only by chance, when a byte over
# 0x7F happens to be followed by as many bytes of 0x80-0xBF as it announces, and its next
# such byte mostly breaks the pattern: it has fewer intact multibyte characters than
# invalid bytes (at most 0.43 per invalid byte in the 449 files of the charset dataset,
# the charset samples and trafilatura's pages that are not UTF-8, 49 encodings), where
# damaged UTF-8 has dozens to hundreds (25 to 499 in those pages that are).
INTACT_PER_DAMAGED = 4
_CP1252_BYTES = {
    0xDC00 + b: bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(0x80, 0x100)
}


def _damaged_utf8(data: bytes) -> str | None:
    """The text of UTF-8 bytes a few of which are not UTF-8, those read as Windows-1252;
    None when the bytes are not mostly UTF-8 (:data:`INTACT_PER_DAMAGED`).

    >>> _damaged_utf8("Всё спокойно, café".encode("cp1251", "replace")) is None
    True
    >>> _damaged_utf8("Всё спокойно: «мир», café".encode().replace(b"\\xc3\\xa9", b"\\xe9"))
    'Всё спокойно: «мир», café'
    """
    text = data.decode("utf-8", "surrogateescape")  # each invalid byte a lone surrogate
    damaged, intact = _damage(text)
    if damaged == 0 or intact < INTACT_PER_DAMAGED * damaged:
        return None
    if damaged >= _EVIDENCE and any(_legacy_line(line) for line in text.splitlines()):
        return None  # a part in a code page of its own: _decode_mixed
    return text.translate(_CP1252_BYTES)


def _legacy_line(line: str) -> bool:
    """Whether a line of :func:`_damaged_utf8`'s text is in a code page, not damaged UTF-8:
    :data:`_EVIDENCE` bytes or more that are not UTF-8, and fewer intact characters beyond
    ASCII than those, as in text of another encoding (see :data:`INTACT_PER_DAMAGED`): a
    line of cp1251 in a UTF-8 post, which cp1252 would turn into "Ïðèâåò". Such a line is
    a code page's to tell, as a line in UTF-8 among lines in a code page is
    (:func:`_decode_mixed`)."""
    damaged, intact = _damage(line)
    return damaged >= _EVIDENCE and intact < damaged


def _damage(text: str) -> tuple[int, int]:
    """Of a text decoded with ``surrogateescape``: its bytes that are not UTF-8 (each a lone
    surrogate), and its intact characters outside ASCII."""
    damaged = len(_ESCAPED.findall(text))
    return damaged, _beyond_ascii(text) - damaged


_ESCAPED = re.compile("[\udc80-\udcff]")


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")  # twice as fast, and the same text when it succeeds
    except UnicodeDecodeError:
        # Not final: an incomplete sequence at the very end is left undecoded instead of raising.
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)


def _decode_nul_bearing(data: bytes) -> tuple[str, str]:
    # Text with NUL bytes and no BOM is either UTF-16/32 without a BOM or binary.
    found = _detect(data[: _SNIFF * 8])
    if found is not None and found[1].startswith(("utf_16", "utf_32")):
        try:
            return data.decode(found[1]), found[1]
        except UnicodeDecodeError:
            pass
    raise Rejected("binary", "contains NUL bytes and is not UTF-16/UTF-32 text")


# Frozen, so one instance serves every record that has no metadata.
_NO_META = Meta()


@dataclass(frozen=True)
class Record:
    """One document's text as found in a file; ``key`` is ``None`` for article files.

    ``markup`` tells that the text is a web page still to be extracted; ``encoding`` is the
    one its bytes were decoded from.
    """

    key: str | None
    text: str
    meta: Meta = _NO_META
    markup: bool = False
    encoding: str = ""


@dataclass(frozen=True)
class Fields:
    """Where JSON records keep their text, id and metadata.

    ``text`` None means the first of the fields scrapers use (``text``, ``maintext``,
    ``plaintext``, ``body``) that holds a string; ``meta`` pairs a corpus column with the
    field that fills it, in place of the fields scrapers use.
    """

    text: str | None = None
    id: str = "id"
    meta: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        # a tuple of tuples, so that Fields can key a cache (matched_names)
        object.__setattr__(self, "meta", tuple(tuple(pair) for pair in self.meta))


def records(
    text: str, kind: str, fields: Fields = Fields(), encoding: str = ""
) -> Iterator[Record | Rejected]:
    """Yield the documents of a decoded file, or a ``Rejected`` for each bad record;
    ``encoding``, the one the file was decoded from, goes with each record.

    ``kind`` is ``"records"`` for JSON Lines (or an array), ``"json"`` for a file that may also
    hold a single object, ``"feed"`` for RSS or Atom (:mod:`cleaner.feeds`), ``"table"`` for
    CSV or TSV (:mod:`cleaner.tables`), ``"article"`` or ``"html"`` for one document.

    JSON records are keyed by their ``fields.id`` when present, otherwise by their 1-based
    position (line number in JSON Lines, element number in a JSON array); a key that an
    earlier record of the file already has gets the position appended (``7@12``), so that
    keys are unique within a file. A file without a single record is rejected as ``empty``,
    so that it is accounted for like an empty article.
    """
    if kind in DOCUMENT_KINDS:
        yield Record(None, text, markup=kind == "html", encoding=encoding)
        return
    if kind == "feed":
        from cleaner.feeds import feed_records

        yield from feed_records(text, encoding)
        return
    if kind == "table":
        from cleaner.tables import table_records

        yield from table_records(text, fields, encoding)
        return
    seen: set[str | None] = set()
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except _JSON_ERRORS as exc:
            yield Rejected("bad_json", f"not a JSON array: {exc}")
            return
        for position, item in enumerate(items, 1):
            yield made_unique(record_of(item, position, fields, encoding), position, seen)
        if not items:
            yield Rejected("empty", "an empty JSON array")
        return
    if kind == "json" and stripped.startswith("{"):  # news-please writes a file per article
        try:
            item = json.loads(stripped)
        except _JSON_ERRORS:
            pass  # JSON lines
        else:
            yield record_of(item, 1, fields, encoding)
            return
    found = False
    for number, record in json_lines(text, fields, encoding=encoding):
        found = True
        yield made_unique(record, number, seen)
    if not found:
        yield no_records()


Numbered = Iterator[tuple[int, Record | Rejected]]  # records by line or element number
Sizes = Mapping[int, Rejected] | None  # the rejects of records left out for their size


def no_records() -> Rejected:
    """The reject of a file of JSON lines without a single record."""
    return Rejected("empty", "no JSON records, only blank lines")


def json_lines(
    text: str,
    fields: Fields = Fields(),
    first: int = 1,
    oversized: Sizes = None,
    encoding: str = "",
) -> Numbered:
    """The records of JSON Lines text with their line numbers, counted from ``first``; keys
    are not yet made unique (:func:`records` does it, or, for a file read in pieces, the
    process that puts the pieces together). ``oversized`` holds the rejects of lines left
    out for their size, by line number: each comes in its line's turn; ``encoding`` goes
    with each record, as in :func:`records`.

    >>> [(n, r.key) for n, r in json_lines('{"id": 7, "text": "a"}\\n\\n[1]', first=4)]
    [(4, '7'), (6, '6')]
    """
    # Lines end at "\n" only: str.splitlines would also cut at U+2028 and U+0085, which JSON
    # allows unescaped inside strings.
    for number, line in enumerate(text.split("\n"), first):
        if oversized and number in oversized:
            yield number, oversized[number]
            continue
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except _JSON_ERRORS as exc:
            if isinstance(exc, json.JSONDecodeError):  # its msg ends where the place goes
                why = f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
            else:
                why = str(exc)
            yield number, Rejected("bad_json", f"line {number}: {why}", key=str(number))
            continue
        yield number, record_of(item, number, fields, encoding)


def json_elements(
    text: str,
    fields: Fields = Fields(),
    first: int = 1,
    oversized: Sizes = None,
    encoding: str = "",
) -> Numbered:
    """The records of a run of a JSON array's elements (the text between two commas, or a
    bracket and a comma) with their positions, counted from ``first``; keys not yet made
    unique, and ``oversized`` as for :func:`json_lines`.

    >>> [(n, r.key) for n, r in json_elements(' {"text": "a"}, {"id": 4, "text": "b"}', first=7)]
    [(7, '7'), (8, '4')]
    """
    try:
        items = json.loads(f"[{text}]")
    except _JSON_ERRORS as exc:  # parsed once already, when the array was cut
        yield first, Rejected("bad_json", f"not a JSON array: {exc}", key=str(first))
        return
    for position, item in enumerate(items, first):
        yield position, record_of(item, position, fields, encoding)
    yield from (oversized or {}).items()


def unique_key(key: str | None, position: int, seen: set[str | None]) -> str | None:
    """``key``, or ``key@position`` when an earlier record of the file has it; remembered.

    >>> seen = set()
    >>> [unique_key(k, n, seen) for n, k in enumerate(["7", "8", "7"], 1)]
    ['7', '8', '7@3']
    """
    if key in seen:
        key = f"{key}@{position}"
    seen.add(key)
    return key


def made_unique(
    found: Record | Rejected, position: int, seen: set[str | None]
) -> Record | Rejected:
    """A record with its key made unique in its file (:func:`unique_key`)."""
    key = unique_key(found.key, position, seen)
    if key == found.key:
        return found
    if isinstance(found, Rejected):
        found.key = key
        return found
    return replace(found, key=key)


@lru_cache(maxsize=1024)  # the records of a file share their keys
def matched_names(names: tuple[str, ...], fields: Fields) -> tuple[str, ...]:
    """Names of fields (a table's columns, a record's keys), those that name a field looked
    for in another case ("Text", "Title", "URL", "ID") spelled as the field is: a table's
    header is written for people, and some scrapers' records capitalise their keys (Go's,
    C#'s). A name of the field's own spelling keeps it.

    >>> matched_names(("ID", "Title", "Text", "text"), Fields())
    ('id', 'title', 'Text', 'text')
    """
    wanted = [fields.text] if fields.text is not None else list(TEXT_FIELDS)
    wanted += [fields.id, *(field for _, field in fields.meta)]
    wanted += [field for known in KNOWN_FIELDS.values() for field in known]
    folded: dict[str, str] = {}
    for field in wanted:
        folded.setdefault(field.casefold(), field)
    taken = set(names)
    matched = []
    for name in names:
        field = folded.get(name.casefold(), name)
        if field != name and field not in taken:
            taken.add(field)
            matched.append(field)
        else:
            matched.append(name)
    return tuple(matched)


_FIELDS_NAMED = 10  # of a record without a text field, the fields its reject names


def _fields_of(item: Mapping[str, Any]) -> str:
    """The fields a record has, for the reject of one whose text is not where it was looked
    for: the one that holds it is among them ("content", "article_body"...).

    >>> _fields_of({"article_id": 7, "headline": "Rates", "content": "Banks cut rates."})
    'its fields: article_id, headline, content'
    """
    names = [str(name) for name in list(item)[: _FIELDS_NAMED + 1]]
    if not names:
        return "it has no fields"
    more = ", ..." if len(names) > _FIELDS_NAMED else ""
    shown = ", ".join(names[:_FIELDS_NAMED]).encode("utf-8", "backslashreplace").decode()
    return f"its fields: {shown}{more}"


def record_of(item: Any, position: int, fields: Fields, encoding: str) -> Record | Rejected:
    """A record (a JSON object, a table's row) as a document's text and metadata, keyed by
    its ``fields.id`` or else its ``position``; a ``bad_record`` reject without a text. Its
    fields are found whatever their case (:func:`matched_names`)."""
    key = str(position)
    if not isinstance(item, dict):
        return Rejected("bad_record", f"record {position} is not a JSON object", key=key)
    names = tuple(item)
    matched = matched_names(names, fields)
    if matched != names:
        item = dict(zip(matched, item.values(), strict=True))
    if item.get(fields.id) is not None:
        # JSON escapes can spell lone surrogates ("\ud800"), which no UTF-8 writer accepts:
        # they stay visible as that escape.
        key = str(item[fields.id]).encode("utf-8", "backslashreplace").decode("utf-8")
    if fields.text is None:
        value = next((item[f] for f in TEXT_FIELDS if isinstance(item.get(f), str)), None)
        if value is None:
            listed = ", ".join(TEXT_FIELDS)
            detail = f"no text field ({listed}; see --text-field); {_fields_of(item)}"
            return Rejected("bad_record", detail, key=key)
    else:
        value = item.get(fields.text)
        if not isinstance(value, str):
            what = "missing" if value is None else f"a {type(value).__name__}, not a string"
            return Rejected("bad_record", f"field {fields.text!r} is {what}", key=key)
    return Record(key, value, from_record(item, fields.meta), encoding=encoding)

"""Metadata: what a source says about a document, tidied into the corpus columns.

The columns are ``url``, ``title``, ``published`` and ``language``, each null when unknown.
JSON records fill them from the fields scrapers write (news-please, fundus, trafilatura's JSON
output, Telegram exports), or from fields named on the command line; pages from their HTML
metadata (:mod:`cleaner.extract`); WARC records from their headers. A value that cannot be
read (a date in no known format) is left null, never guessed and never a reason to reject the
text.

When the source does not say which language a document is in, it is detected from the
cleaned text with CLD2 (``pycld2``, its model compiled into the package), which answers only
when it is reliable: a post of a few words or a list of links stays null.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pycld2

from cleaner.document import Meta

COLUMNS = ("url", "title", "published", "language")
# The fields each column is read from, first present first: news-please (title, url,
# date_publish, language), fundus (title, publishing_date, lang), trafilatura's JSON (title,
# source, date, language), Telegram exports (date), schema.org's NewsArticle as pages embed it
# in JSON-LD (headline, url, datePublished, inLanguage), feeds turned into JSON (link). A URL
# must be absolute: elsewhere "source" names a publisher.
KNOWN_FIELDS: dict[str, tuple[str, ...]] = {
    "url": ("url", "source", "link"),
    "title": ("title", "headline"),
    "published": ("date_publish", "publishing_date", "published", "date", "datePublished"),
    "language": ("language", "lang", "inLanguage"),
}
# The text itself: news-please's maintext, trafilatura's text, fundus's plaintext (its body is
# an object of sections) or body, schema.org's articleBody, and the content or markdown of
# the crawlers that read pages for language models (Jina Reader, Firecrawl, Crawl4AI).
TEXT_FIELDS = (
    "text",
    "maintext",
    "plaintext",
    "body",
    "articleBody",
    "content",
    "markdown",
    "article",  # news datasets: CNN/Daily Mail's, Kaggle's tables
)

_LANGUAGE = re.compile(r"[a-z]{2,3}")
_EPOCH = re.compile(r"\d{9,}(?:\.\d+)?")  # a year's worth of seconds and more: not a year
_EPOCH_UNITS = (1, 10**3, 10**6, 10**9)  # seconds, milli-, micro-, nanoseconds
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
# Links say nothing of a text's language, and CLD2 reads their words as English: what this
# pattern matches goes (see without_links, which finds the same matches faster).
_LINKS = re.compile(r"\S+://\S+|www\.\S+")
_SPACE = re.compile(r"\s")
_DETECT_CHARS = 4096  # a few paragraphs settle the language; the cost grows with the length


def timestamp(value: Any) -> datetime | None:
    """A point in time from what a source gives: ISO 8601, RFC 2822 or an epoch time (a
    number, or a string of digits as Telegram's exports write it) in seconds, milliseconds,
    microseconds or nanoseconds, as its size says (:data:`_EPOCH_UNITS`).

    Times without a zone are taken as UTC; dates as their midnight.

    >>> timestamp("2024-03-02")
    datetime.datetime(2024, 3, 2, 0, 0, tzinfo=datetime.timezone.utc)
    >>> timestamp("Sat, 02 Mar 2024 10:00:00 +0100").isoformat()
    '2024-03-02T10:00:00+01:00'
    >>> timestamp(1709373600) == timestamp(1709373600000) == timestamp("1709373600")
    True
    >>> timestamp("last Tuesday") is None
    True
    """
    found: datetime | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _EPOCH.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float):
        # a JavaScript or Java scraper writes milliseconds: in seconds, a time past 1e11 is
        # after the year 5000, and in milliseconds one under it before 1973
        for scale in _EPOCH_UNITS:
            if abs(value) < 1e11 * scale:
                value /= scale
                break
        try:
            found = datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            found = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                found = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if found is None:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=timezone.utc)


def language_code(value: Any) -> str | None:
    """The primary ISO 639 subtag of a language tag, lowercase; None when it is not one.

    >>> language_code("en-GB"), language_code("pt_BR"), language_code("English")
    ('en', 'pt', None)
    """
    if not isinstance(value, str):
        return None
    code = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    return code if _LANGUAGE.fullmatch(code) else None


def metadata_fields(fields: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The fields of a record that can fill the metadata columns: those named in ``fields``
    (column, field), the fields scrapers write for the others.

    >>> metadata_fields([("title", "headline")])[:5]
    ['url', 'source', 'link', 'headline', 'date_publish']
    """
    named = dict(fields)
    return [
        f
        for column in COLUMNS
        for f in ((named[column],) if column in named else KNOWN_FIELDS[column])
    ]


def from_record(item: Mapping[str, Any], fields: Sequence[tuple[str, str]] = ()) -> Meta:
    """The metadata of a JSON record: the fields named in ``fields`` (column, field), else
    the fields scrapers write.

    >>> meta = from_record({"title": "Rates", "date_publish": "2019-03-02 10:00", "language": "en"})
    >>> meta.title, meta.published.isoformat(), meta.language
    ('Rates', '2019-03-02T10:00:00+00:00', 'en')
    """
    named = dict(fields)
    found: dict[str, Any] = {}
    for column in COLUMNS:
        candidates = (named[column],) if column in named else KNOWN_FIELDS[column]
        found[column] = next((item[f] for f in candidates if item.get(f) is not None), None)
    url = _storable(found["url"])
    return Meta(
        url=url if url is not None and _URL.fullmatch(url) else None,
        title=_storable(found["title"]),
        published=timestamp(found["published"]),
        language=language_code(found["language"]),
    )


def _storable(value: Any) -> str | None:
    # JSON escapes can spell lone surrogates, which no UTF-8 writer accepts: kept as escapes.
    if not isinstance(value, str):
        return None
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def canonical_url(url: str) -> str:
    """A URL as the same page's other URLs would be written: scheme and host lowercase, no
    default port, fragment, tracking parameter (``utm_*``) or trailing slash.

    >>> canonical_url("HTTPS://News.Example:443/a/story/?utm_source=rss&id=7#top")
    'https://news.example/a/story?id=7'
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, True) if not k.lower().startswith("utm_")]
    return urlunsplit((scheme, host, parts.path.rstrip("/"), urlencode(query), ""))


def url_hash(url: str | None) -> int:
    """A 64-bit hash of a URL's canonical form, never 0; 0 for no URL."""
    if not url:
        return 0
    digest = hashlib.blake2b(canonical_url(url).encode("utf-8", "backslashreplace"), digest_size=8)
    return int.from_bytes(digest.digest(), "little") or 1


def detect_language(text: str) -> str | None:
    """The language of a text, when CLD2 is sure of it.

    >>> detect_language("The central bank raised its key rate by half a point on Tuesday.")
    'en'
    >>> detect_language("ok") is None
    True
    """
    guess = language_guess(without_links(text[:_DETECT_CHARS]))
    if guess is None:
        return None
    reliable, code, _, _ = guess
    return code if reliable and code != "un" else None


def language_guess(text: str) -> tuple[bool, str, int, float] | None:
    """CLD2's likeliest language of a text: whether CLD2 is sure, its code (``"un"`` for
    none), the share of the text in it (per cent) and its score per kilobyte of that text;
    None when CLD2 refuses the text's characters (lone surrogates, some controls)."""
    try:
        # Plain text: by default CLD2 reads its input as HTML and skips what looks like a
        # tag, so Reuters' "<Scott's Hospitality Inc> said ..." lost its language
        reliable, _, guesses = pycld2.detect(text, isPlainText=True)
    except pycld2.error:
        return None
    _, code, share, score = guesses[0]
    return bool(reliable), str(code), int(share), float(score)


def without_links(text: str) -> str:
    """``_LINKS.sub(" ", text)``, found from the marks of a link instead of trying the pattern
    at every character, which took a sixth of language detection's time.

    A word (a run of non-space) that holds "://" after its first character and before its
    last is a link from its start: the pattern matches there, as it would at any later start
    in the word. Any other word is one from its first "www." that has a character after it.
    Either match runs to the end of the word, where the search goes on.

    >>> without_links("see https://t.me/x, or Awww.no www.bbc.co.uk/news")
    'see   or A   '
    """
    kept: list[str] = []
    done = 0  # text before this is in kept, or replaced
    # The next of each mark (str.find scans at C speed), found again once passed; -1: none
    scheme, www = text.find("://"), text.find("www.")
    while scheme != -1 or www != -1:
        at = scheme if www == -1 or (scheme != -1 and scheme < www) else www
        start = at
        while start > done and not text[start - 1].isspace():
            start -= 1
        space = _SPACE.search(text, at)
        end = len(text) if space is None else space.start()
        if text.find("://", start + 1, end - 1) != -1:
            link = start
        else:
            link = text.find("www.", start, end - 1)
        if link != -1:
            kept += (text[done:link], " ")
        else:
            kept.append(text[done:end])
        done = end
        if scheme != -1 and scheme < done:
            scheme = text.find("://", done)
        if www != -1 and www < done:
            www = text.find("www.", done)
    if not kept:
        return text
    kept.append(text[done:])
    return "".join(kept)

"""Extract: a web page's main text and metadata, with trafilatura.

A saved page is mostly navigation, scripts and footers around an article. trafilatura (the
reference extractor of the field) finds the article; its paragraphs, lists items and table
rows each become a paragraph of the document, separated by blank lines, which the split stage
keeps as they are. Its metadata (title, publication date, canonical URL) fill the corpus
columns; the language is the page's own ``<html lang>``.

A page is untrusted input. lxml parses it as HTML, never as XML, so a document type
declaration's entities, recursive (billion laughs) or external (``SYSTEM "file:///etc/passwd"``),
are never expanded: ``&name;`` stays as written. Nothing is fetched: a page's links, images
and stylesheets are never followed. Its size is bounded before it gets here, by the file
limits (``--max-file-bytes``, ``--max-decompressed-bytes``); trafilatura's own size limit is
lifted so that those are the only ones.
"""

from __future__ import annotations

import codecs
import re
import sys
from configparser import ConfigParser
from functools import lru_cache
from importlib.metadata import version
from typing import Any

from cleaner.document import Meta, Rejected
from cleaner.metadata import language_code, timestamp

# What shapes the text extracted; recorded in the output's metadata. Reader comments are not
# the article, and trafilatura's own de-duplication is left to cleaner's, which explains itself.
SETTINGS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "favor_precision": False,
    "favor_recall": False,
    "deduplicate": False,
}
NO_MAIN_TEXT = "no_main_text"
# Publication dates to the second, with their zone, where the page gives them (trafilatura
# keeps the day only by default): two scrapes of an updated story often share the day.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

# A page announces itself in its first bytes: a doctype, an <html> or <head> tag, or an XML
# declaration followed by one of those (XHTML). Comments and whitespace may come first.
SNIFF = 1024
_HTML_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:!doctype\s+html|html[\s>]|head[\s>])",
    re.IGNORECASE | re.DOTALL,
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_LANG = re.compile(
    r"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.I
)
# The WHATWG encoding standard decodes these labels as windows-1252, as every browser does:
# pages declaring Latin-1 routinely hold curly quotes in the 0x80-0x9F range.
_AS_WINDOWS_1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"}


def looks_like_html(data: bytes | str) -> bool:
    """Whether a file's bytes start like a web page (for a ``.txt`` that holds one).

    >>> looks_like_html(b"<!DOCTYPE html><html><body><p>Hi</p></body></html>")
    True
    >>> looks_like_html(b"<b>Bold</b> lead of a plain article.")
    False
    """
    start = data[:SNIFF]
    if isinstance(start, str):
        start = start.encode("utf-8", "replace")
    return _HTML_START.match(start) is not None


def declared_charset(data: bytes) -> str | None:
    """The encoding a page declares in a ``<meta>`` of its first KiB, if Python knows it.

    >>> declared_charset(b'<html><head><meta charset="ISO-8859-1">')
    'cp1252'
    """
    found = _META_CHARSET.search(data[:SNIFF])
    return None if found is None else codec(found.group(1).decode("ascii"))


def codec(label: str) -> str | None:
    """Python's codec for a charset label as the web uses it; None for an unknown one.

    >>> codec("ISO-8859-1"), codec("Shift_JIS"), codec("x-unknown")
    ('cp1252', 'shift_jis', None)
    """
    label = label.strip().lower()
    if label in _AS_WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def page_language(html: str) -> str | None:
    """The language a page declares on its ``<html>`` element.

    >>> page_language('<html lang="de-DE"><body>')
    'de'
    """
    found = _HTML_LANG.search(html[: SNIFF * 4])
    return None if found is None else language_code(found.group(1))


def extraction_options() -> dict[str, Any]:
    """The extractor and its settings, as stored in the Parquet metadata."""
    return {
        "extractor": "trafilatura",
        "version": version("trafilatura"),
        **SETTINGS,
        "date_format": DATE_FORMAT,
    }


def extract(html: str, url: str | None = None) -> tuple[str, Meta]:
    """The main text of a page, one paragraph per block, and what its metadata says.

    ``url`` (where the page was fetched from, when known) stands in for a page without a
    canonical URL of its own. Raises :class:`Rejected` (``no_main_text``) for a page with no
    article in it: an index page, an error page, a page that is all script.
    """
    # Imported on first use: trafilatura takes a quarter of a second to import, which a run
    # or a `cleaner fix` without a page need not pay.
    from trafilatura import bare_extraction
    from trafilatura.settings import Document, set_date_params

    config = _config()
    dates = set_date_params(config.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))
    extracted = bare_extraction(
        html,
        url=url,
        with_metadata=True,
        date_extraction_params={**dates, "outputformat": DATE_FORMAT},
        config=config,
        **SETTINGS,
    )
    found: dict[str, Any] = extracted.as_dict() if isinstance(extracted, Document) else {}
    blocks = [line for line in (found.get("text") or "").split("\n") if line.strip()]
    if not blocks:
        raise Rejected(NO_MAIN_TEXT, "trafilatura found no main text in this page")
    meta = Meta(
        url=found.get("url") or url,
        title=found.get("title") or None,
        published=timestamp(found.get("date")),
        language=page_language(html),
    )
    return "\n\n".join(blocks), meta


@lru_cache(maxsize=1)
def _config() -> ConfigParser:
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MAX_FILE_SIZE", str(sys.maxsize))
    return config

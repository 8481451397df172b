"""Feeds: the items of an RSS or Atom feed, each a record with its link, title and date.

A scraper that follows a site's feed often keeps the feed it read: RSS 2.0 (and 0.9x),
RSS 1.0 (RDF) or Atom, in whatever encoding the site writes. Each ``<item>`` or ``<entry>``
is a document, keyed by its 1-based position in the feed as a JSON array's elements are.
Its text is the fullest body the feed gives: ``content:encoded``, else ``description``
(RSS), ``content``, else ``summary`` (Atom). Those are HTML by the specifications (an RSS
description is escaped HTML, an Atom body says its type), so they are read as fragments
(:func:`cleaner.markup.fragment_text`): blocks become paragraphs, tags and entities go.
Its metadata are the item's link, title and date (``pubDate``, ``dc:date``, ``published``
or ``updated``), and its language the item's or the feed's.

A feed is untrusted input: lxml parses it as XML with no document type definition loaded,
no entity of one expanded (recursive or external) and nothing fetched. HTML's named
entities, which feeds use without declaring them (``&eacute;``, ``&nbsp;``), are read as the
characters they name, and a stray ``&`` as itself: libxml2 would drop them, and with an
entity it does not know, every ``&amp;`` after it.
A feed damaged in the middle (a download cut short, a stray ``&``) gives the items read
before the damage and those libxml2's recovery finds after it.

>>> rss = '<rss><channel><item><title>Up</title><link>https://x/1</link>'
>>> rss += '<description>&lt;p&gt;Rates rose.&lt;/p&gt;</description></item></channel></rss>'
>>> [(r.key, r.text, r.meta.url, r.meta.title) for r in feed_records(rss)]
[('1', 'Rates rose.', 'https://x/1', 'Up')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.entities import html5
from typing import Any

from cleaner.decode import Record
from cleaner.document import Rejected
from cleaner.markup import fragment_text
from cleaner.metadata import from_record

# A feed announces itself at its root: <rss>, <feed> (Atom) or <rdf:RDF> (RSS 1.0), after
# an XML declaration, comments, processing instructions and a document type declaration.
_FEED_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:(?:<!--.*?-->|<\?.*?\?>)\s*)*"
    rb"(?:<!DOCTYPE[^[>]*(?:\[.*?\])?\s*>\s*)?(?:(?:<!--.*?-->|<\?.*?\?>)\s*)*"
    rb"<(?:rss|feed|(?:[A-Za-z_][\w.-]*:)?RDF)[\s>]",
    re.DOTALL,
)
SNIFF = 4096  # a feed's root comes after its declarations, within the first few KiB
_REFERENCE = re.compile(
    r"(<!\[CDATA\[.*?\]\]>)|&(?:(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{0,31});)?", re.DOTALL
)
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))
_ITEMS = frozenset(("item", "entry"))
_BODIES = ("full-text", "encoded", "content", "description", "summary")  # the fullest first
# The feed's own vocabulary: RSS (none, Userland's, 0.90's, 1.0's), Atom 0.3 and 1.0, the
# content module and Dublin Core; and Yandex's full text, which Russian news feeds carry.
# Other extensions' elements (media:content, itunes:summary, media:title) are not the item's.
_VOCABULARY = frozenset(
    (
        *("", "http://backend.userland.com/rss2", "http://my.netscape.com/rdf/simple/0.9/"),
        *("http://purl.org/rss/1.0/", "http://purl.org/atom/ns#", "http://www.w3.org/2005/Atom"),
        *("http://purl.org/rss/1.0/modules/content/", "http://purl.org/dc/elements/1.1/"),
        *("http://purl.org/dc/terms/", "http://news.yandex.ru"),
    )
)
_DATES = ("pubDate", "date", "published", "updated", "issued", "modified")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def looks_like_feed(data: bytes) -> bool:
    """Whether a file's first bytes are an RSS or Atom feed's.

    >>> looks_like_feed(b'<?xml version="1.0"?>\\n<rss version="2.0"><channel>')
    True
    >>> looks_like_feed(b'<?xml version="1.0"?><urlset xmlns="...">')
    False
    """
    return _FEED_START.match(data[:SNIFF]) is not None


def _as_xml(text: str) -> str:
    """A feed's text with what XML would stumble on made XML: HTML's named entities as
    numeric references, and an ``&`` that starts no reference as ``&amp;`` (libxml2 drops
    it, and the word after it). CDATA sections, where both are text, are left as they are.

    >>> _as_xml("Caf&eacute; & bar &amp; <![CDATA[a & b]]> &#233; &x;")
    'Caf&#233; &amp; bar &amp; <![CDATA[a & b]]> &#233; &x;'
    """

    def fixed(match: re.Match[str]) -> str:
        reference = match.group(2)
        if match.group(1) is not None or (reference or "").startswith("#"):
            return match.group()
        if reference is None:
            return "&amp;"
        if reference in _XML_ENTITIES:
            return match.group()
        found = html5.get(reference + ";")
        if found is None:  # declared by the feed, perhaps: left to the parser, unexpanded
            return match.group()
        return "".join(f"&#{ord(c)};" for c in found)

    return _REFERENCE.sub(fixed, text) if "&" in text else text


def _bare(element: Any) -> str:
    """An element's name without its namespace; "" for a comment or an entity left as it was."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _local(element: Any) -> str:
    """An item's element's name in the feed's vocabulary; "" for another extension's."""
    tag = element.tag
    space = tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""
    return _bare(element) if space in _VOCABULARY else ""


def _text(element: Any) -> str:
    """An element's text as XML gives it (entities and CDATA read)."""
    return "".join(element.itertext())


def _body(element: Any) -> str:
    """The text of a body element: HTML read as a fragment (escaped, as RSS and Atom's
    ``type="html"`` write it, or inline), Atom's plain text as it is."""
    from lxml import etree

    if len(element):  # inline markup (Atom's xhtml, Atom 0.3's mode="xml"): the body itself
        inner = [etree.tostring(child, encoding="unicode", method="html") for child in element]
        return fragment_text((element.text or "") + "".join(inner))
    raw = _text(element)
    if (element.get("type") or "").lower() in ("text", "text/plain"):
        return raw
    return fragment_text(raw) if "<" in raw or "&" in raw else raw


def _item(element: Any, language: str | None) -> tuple[str | None, dict[str, Any]]:
    """An item's text (None without a body) and its metadata as a record's fields."""
    found: dict[str, Any] = {}
    link = None
    for child in element:
        name = _local(child)
        if name == "link":
            href = child.get("href")  # Atom: the page is the link without rel or "alternate"
            if href is None:
                link = link or _text(child).strip() or None
            elif child.get("rel", "alternate") == "alternate" and link is None:
                link = href.strip()
        elif name == "guid" and (child.get("isPermaLink") or "true") == "true":
            found.setdefault("guid", _text(child).strip())
        elif name in ("title", "language", *_BODIES, *_DATES) and name not in found:
            found[name] = child
    body = next((found[name] for name in _BODIES if name in found), None)
    text = None if body is None else _body(body)
    title = found.get("title")
    date = next((found[name] for name in _DATES if name in found), None)
    own = found.get("language")
    fields = {
        "url": link or found.get("guid"),
        "title": None if title is None else _body(title),
        "published": None if date is None else _text(date).strip(),
        "language": _text(own).strip() if own is not None else element.get(_XML_LANG) or language,
    }
    return text, fields


def feed_records(text: str, encoding: str = "") -> Iterator[Record | Rejected]:
    """The records of a decoded feed: one per item, in order, keyed by position; a
    :class:`Rejected` when the text is not a feed or holds no item."""
    from lxml import etree

    if not text.strip():
        yield Rejected("empty", "an empty file")
        return
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        recover=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,  # a body of more than 10 MB; the file limits bound the whole
        encoding="utf-8",  # the text is decoded already, whatever its declaration says
    )
    data = _as_xml(text).encode("utf-8", "replace")
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError) as exc:
        yield Rejected("bad_feed", f"not a feed lxml can read: {exc}")
        return
    if root is None:
        yield Rejected("bad_feed", "not a feed lxml can read: no element")
        return
    name = _bare(root)
    if name not in ("rss", "feed", "RDF"):
        yield Rejected("unsupported", f"XML whose root is <{name}>, not an RSS or Atom feed")
        return
    channel = next((c for c in root if _bare(c) == "channel"), None)
    own = None if channel is None else next((c for c in channel if _local(c) == "language"), None)
    language = root.get(_XML_LANG) or (None if own is None else _text(own).strip() or None)
    position = 0
    for element in root.iter():
        if _bare(element) not in _ITEMS:
            continue
        position += 1
        body, fields = _item(element, language)
        if body is None:
            detail = "a feed item without a body (a title and a link only)"
            yield Rejected("empty", detail, key=str(position))
        else:
            yield Record(str(position), body, from_record(fields), encoding=encoding)
    if position == 0:
        yield Rejected("empty", f"a feed (<{name}>) without an item")

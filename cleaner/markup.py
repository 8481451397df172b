"""Markup: a record's text that is an HTML fragment, read as the text it marks up.

A scraper that saves a site's API or feed stores the article body as its CMS holds it: an
HTML fragment (``<p>…</p><p>…</p>``, a WordPress ``content``, an RSS ``description``), not
a page. Its paragraphs are its blocks; its tags and entities are not text. trafilatura is
for pages: on a fragment, all of which is the article, it drops list items, short bodies
and repeated paragraphs of its own accord.

So a record's text that starts with a tag (:func:`looks_like_fragment`) is read here: each
block (paragraph, heading, list item, table row, quotation...) becomes a paragraph, ``<br>``
a line break, entities their characters; scripts, styles and comments go; the text between
the tags keeps its own blank lines (WordPress stores paragraphs as blank lines between bare
text). A text that merely holds a tag further on, such as a post quoting code (``<div>Hello
</div>``), is left as it is: only a fragment starts with one.

lxml parses the fragment as HTML, never as XML: no entity of a document type declaration is
expanded and nothing is fetched.

>>> fragment_text("<p>Rates rose.</p>\\n<p>Banks <b>cut</b> loans &amp; jobs.<br>Again.</p>")
'Rates rose.\\n\\nBanks cut loans & jobs.\\nAgain.'
"""

from __future__ import annotations

import re

# The elements a body stored as HTML starts with: blocks, inline formatting, a link, an
# image, a line break, or a comment.
_FRAGMENT_START = re.compile(
    r"\s*<(?:!--|(?:p|div|span|h[1-6]|ul|ol|li|dl|blockquote|figure|section|article|header|"
    r"main|aside|table|pre|b|strong|i|em|u|a|img|br|font|center)\b[^<>]*>)",
    re.IGNORECASE,
)
# Elements whose start and end part paragraphs; their text is a paragraph of its own.
BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "center", "dd", "details", "div"),
        *("dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5"),
        *("h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary"),
        *("table", "tbody", "tfoot", "thead", "tr", "ul"),
    }
)
_CELLS = frozenset(("td", "th"))
# Elements whose content is no text of the article.
_SKIPPED = frozenset(
    ("script", "style", "noscript", "template", "svg", "math", "object", "iframe", "title")
)
_PARAGRAPH_BREAK = "\n\n"
_SURROGATE = re.compile("[\ud800-\udfff]")


def looks_like_fragment(text: str) -> bool:
    """Whether a record's text is an HTML fragment: it starts with a tag.

    >>> looks_like_fragment("<p>The council met.</p>"), looks_like_fragment(" <B>Moscow</B>, 5")
    (True, True)
    >>> looks_like_fragment("Templ components: <div>Hello</div>"), looks_like_fragment("<3 it")
    (False, False)
    """
    return _FRAGMENT_START.match(text) is not None


def fragment_text(html: str) -> str:
    """The text of an HTML fragment: its blocks parted by blank lines, ``<br>`` as a line
    break, the text between tags as written (the split stage joins and trims it)."""
    from lxml import etree
    from lxml import html as lxml_html

    # huge_tree: a text of more than 10 MB between two tags would otherwise come out empty;
    # the record's size is bounded by the file limits before it gets here.
    parser = lxml_html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    # libxml2 ends a text at a lone surrogate (JSON can spell one), losing the rest
    html = _SURROGATE.sub("\ufffd", html)
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div", parser=parser)
    except (etree.LxmlError, ValueError):
        return html  # not markup lxml can read: the text as it is
    parts: list[str] = []
    skipping = 0  # depth inside elements whose content is not text
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _SKIPPED:
                skipping += 1
            if skipping:
                continue
            if tag in BLOCKS:
                parts.append(_PARAGRAPH_BREAK)
            elif tag == "br":
                parts.append("\n")
            elif tag in _CELLS and element.getprevious() is not None:
                parts.append(" | ")  # a table row is one paragraph, its cells parted
            if element.text:
                parts.append(element.text)
        else:
            if tag in _SKIPPED:
                skipping -= 1
            if skipping:
                continue
            if tag in BLOCKS:
                parts.append(_PARAGRAPH_BREAK)
            if element.tail and element is not root:
                parts.append(element.tail)
    return _BREAKS.sub(_PARAGRAPH_BREAK, "".join(parts)).strip()


_BREAKS = re.compile(r"[ \t\r\f\v]*\n(?:[ \t\r\f\v]*\n)+[ \t\r\f\v]*")  # a blank line or more

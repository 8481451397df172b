"""A run's report as one self-contained HTML page: what was removed, why, and samples of it.

The figures are aggregated with Arrow compute over the columns they need (the text column is
never read); only bounded samples of text reach the page (the most frequent boilerplate, the
largest clusters, a seeded sample of near repeats, a few rejects of each reason), so the page
stays small whatever the size of the corpus. Charts are inline SVG, styles one inline
stylesheet; there is no script.

Every string from the corpus is scraped text, and hostile: it is HTML-escaped and only ever
placed in element content, never in a script, a URL attribute or a style. The page's
Content-Security-Policy forbids scripts (so inline event handlers and ``javascript:`` links
cannot run even if escaping failed), every remote load, forms and ``<base>``; its one
stylesheet is allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaner.deduplicate_corpus import BOILERPLATE, DUPLICATE
from cleaner.document import Removal
from cleaner.explain import word_diff
from cleaner.formats import corpus_metadata, rejects_path

TOP = 15  # rows of each ranking
SAMPLE = 25  # near-repeat removals shown side by side
EXAMPLES = 3  # rejects shown per reason
SHOWN_CHARS = 600  # of any one text in the page
BINS = np.linspace(0.5, 1.0, 21)  # similarity histogram: removals happen at 0.5 and over

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 6px;
text-align:left;vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:1em}.figure{background:#f4f6f8;padding:.6em 1em;
border-radius:6px}.figure b{display:block;font-size:1.5em}
del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}
.text{white-space:pre-wrap;overflow-wrap:anywhere}.charts{display:flex;flex-wrap:wrap;gap:2em}
svg text{font:12px system-ui,sans-serif}small{color:#666}
"""


def build_report(corpus: str | Path, output: str | Path, seed: int = 1) -> Path:
    """Write the report of ``corpus`` (a corpus written by ``cleaner clean``) to ``output``.

    ``seed`` chooses the sample of near repeats shown. Raises :class:`InputError` when
    ``corpus`` is not a corpus. The page is written atomically.
    """
    corpus, output = Path(corpus), Path(output)
    page = render(corpus, seed)
    temp = output.with_name(f".{output.name}.tmp")
    temp.write_text(page, encoding="utf-8")
    temp.replace(output)
    return output


def render(corpus: Path, seed: int = 1) -> str:
    """The report's HTML."""
    recorded = corpus_metadata(corpus)
    schema = pq.read_schema(corpus)
    columns = ["source", "encoding", "n_paragraphs_in", "n_paragraphs_out", "removed"]
    columns += [c for c in ("language",) if c in schema.names]
    table = pq.read_table(corpus, columns=columns)
    rejects_file = rejects_path(corpus)
    rejects = pq.read_table(rejects_file) if rejects_file.is_file() else None
    removed = pc.list_flatten(table.column("removed").combine_chunks())
    if not isinstance(removed, pa.StructArray):  # an empty corpus: a null-typed list
        removed = pa.array([], type=schema.field("removed").type.value_type)
    reasons = removed.field("reason")
    body = [
        _figures(table, rejects, reasons, recorded),
        _section("Charts", _charts(table, rejects, removed)),
        _section("Most frequent boilerplate paragraphs", _boilerplate(removed)),
        _section("Largest clusters of duplicate documents", _clusters(rejects)),
        _section("Near repeats removed: a sample, side by side", _near(removed, seed)),
        _section("Rejects by reason, with examples", _rejects(rejects)),
    ]
    style_hash = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    policy = (
        f"default-src 'none'; style-src 'sha256-{style_hash}'; "
        "script-src 'none'; base-uri 'none'; form-action 'none'"
    )
    title = f"cleaner report: {corpus.name}"
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n"
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width">\n'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>\n"
        f"<h1>{_e(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _e(text: object) -> str:
    """Scraped text as element content: escaped, and cut to what a page can show."""
    value = str(text)
    if len(value) > SHOWN_CHARS:
        value = value[:SHOWN_CHARS] + " …"
    return html.escape(value, quote=True)


def _section(title: str, content: str) -> str:
    return f"<h2>{_e(title)}</h2>\n{content}"


def _counts(values: pa.Array | pa.ChunkedArray, top: int | None = None) -> list[tuple[str, int]]:
    """Distinct values and how often each occurs, most frequent first (ties by value)."""
    found = pc.value_counts(values)
    pairs = sorted(
        zip(found.field("values").to_pylist(), found.field("counts").to_pylist(), strict=True),
        key=lambda vc: (-vc[1], str(vc[0])),
    )
    return [(str(v), int(n)) for v, n in pairs[:top]]


def _sum(values: pa.ChunkedArray) -> int:
    return int(pc.sum(values).as_py() or 0)


def _figures(
    table: pa.Table, rejects: pa.Table | None, reasons: pa.Array, recorded: dict[str, Any]
) -> str:
    rejected = rejects.num_rows if rejects is not None else 0
    paragraphs_in = _sum(table.column("n_paragraphs_in"))
    paragraphs_out = _sum(table.column("n_paragraphs_out"))
    tiles = [
        ("documents kept", table.num_rows),
        ("documents rejected", rejected),
        ("paragraphs in kept documents", paragraphs_in),
        ("paragraphs kept", paragraphs_out),
        *((f"removed: {reason}", n) for reason, n in _counts(reasons)),
    ]
    note = (
        "Paragraph counts are of the documents kept: the paragraphs of duplicate documents "
        "are not stored."
    )
    figures = "".join(f"<div class=figure><b>{n:,}</b>{_e(what)}</div>" for what, n in tiles)
    options = recorded.get("options", {})
    settings = ", ".join(f"{k} {v}" for k, v in sorted(options.items()))
    version = recorded.get("version", "?")
    return (
        f"<div class=figures>{figures}</div>\n"
        f"<p><small>{note} cleaner {_e(version)}; options: {_e(settings)}</small></p>"
    )


def _charts(table: pa.Table, rejects: pa.Table | None, removed: pa.StructArray) -> str:
    reasons = removed.field("reason")
    near = pc.equal(reasons, "near_duplicate")
    similarity = removed.field("similarity").filter(near)
    charts = [
        _bars("Paragraphs removed, by reason", _counts(reasons)),
        _histogram("Similarity of near repeats removed (Jaccard)", similarity),
    ]
    if rejects is not None:
        duplicates = rejects.filter(pc.equal(rejects.column("reason"), DUPLICATE))
        charts.append(
            _histogram("Similarity of duplicate documents (Jaccard)", duplicates["similarity"])
        )
    folders = pc.if_else(
        pc.match_substring(table.column("source"), "/"),
        pc.replace_substring_regex(table.column("source"), "/[^/]*$", "/"),
        "(top level)",
    )
    charts.append(_bars("Documents kept, by source folder", _counts(folders, TOP)))
    charts.append(_bars("Documents kept, by encoding", _counts(table.column("encoding"), TOP)))
    if "language" in table.column_names:
        languages = pc.fill_null(table.column("language"), "(unknown)")
        charts.append(_bars("Documents kept, by language", _counts(languages, TOP)))
    return f"<div class=charts>{''.join(charts)}</div>"


def _bars(title: str, rows: Sequence[tuple[str, int]]) -> str:
    """A horizontal bar chart in SVG; labels are element content, never attributes."""
    if not rows:
        return f"<div><b>{_e(title)}</b><p><small>none</small></p></div>"
    high = max(n for _, n in rows) or 1
    line, label_width, bar_width = 22, 200, 260
    parts = []
    for n, (label, count) in enumerate(rows):
        y = n * line
        width = max(1, round(bar_width * count / high)) if count else 0
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{_e(short)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{width}" height="14" fill="#4a7bb7"/>'
            f'<text x="{label_width + width + 4}" y="{y + 15}">{count:,}</text>'
        )
    height = len(rows) * line + 4
    return (
        f"<div><b>{_e(title)}</b><br><svg xmlns='http://www.w3.org/2000/svg' "
        f'width="{label_width + bar_width + 70}" height="{height}" role="img">'
        + "".join(parts)
        + "</svg></div>"
    )


def _histogram(title: str, values: pa.Array | pa.ChunkedArray) -> str:
    data = np.asarray(pc.drop_null(values).to_numpy(zero_copy_only=False), dtype=np.float64)
    counts, _ = np.histogram(np.clip(data, BINS[0], BINS[-1]), BINS)
    edges = zip(BINS[:-1], BINS[1:], counts, strict=True)
    rows = [(f"{lo:.3f}–{hi:.3f}", int(n)) for lo, hi, n in edges]
    rows[0] = (f"under {BINS[1]:.3f}", rows[0][1])  # lower values are counted in the first bin
    first = next((i for i, (_, n) in enumerate(rows) if n), len(rows))
    return _bars(f"{title}: {len(data):,}", rows[first:])


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: int = 0) -> str:
    """An HTML table of cells already escaped; the first ``numeric`` columns are counts."""
    cells = "".join(
        f"<th class=n>{_e(h)}</th>" if n < numeric else f"<th>{_e(h)}</th>"
        for n, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=n>{c}</td>" if n < numeric else f"<td>{c}</td>" for n, c in enumerate(row)
        )
        + "</tr>\n"
        for row in rows
    )
    return f"<table><tr>{cells}</tr>\n{body}</table>" if body else "<p><small>none</small></p>"


def _boilerplate(removed: pa.StructArray) -> str:
    boiler = pc.equal(removed.field("reason"), BOILERPLATE)
    top = _counts(removed.field("paragraph").filter(boiler), TOP)
    rows = [(f"{n:,}", f"<span class=text>{_e(p)}</span>") for p, n in top]
    return _table(["documents", "paragraph"], rows, numeric=1)


def _clusters(rejects: pa.Table | None) -> str:
    if rejects is None:
        return _table([], [])
    duplicates = rejects.filter(pc.equal(rejects.column("reason"), DUPLICATE))
    rows = []
    for kept, n in _counts(duplicates.column("duplicate_of"), TOP):
        members = duplicates.filter(pc.equal(duplicates.column("duplicate_of"), kept))
        some = members.column("doc_id").slice(0, 5).to_pylist()
        more = f" and {n - len(some):,} more" if n > len(some) else ""
        rows.append((f"{n + 1:,}", _e(kept), _e(", ".join(some)) + _e(more)))
    return _table(["documents", "kept", "duplicates removed"], rows, numeric=1)


def _near(removed: pa.StructArray, seed: int) -> str:
    near = removed.filter(pc.equal(removed.field("reason"), "near_duplicate"))
    chosen = np.random.default_rng(seed).permutation(len(near))[:SAMPLE]
    rows = []
    for r in near.take(pa.array(np.sort(chosen), type=pa.int64())).to_pylist():
        removal = Removal(**r)
        kept, gone = _diff_html(removal.repeats, removal.paragraph)
        rows.append((f"{removal.similarity:.3f}", kept, gone))
    intro = (
        f"<p><small>{len(near):,} near repeats removed; {len(rows)} chosen at random "
        "(seeded). Left the paragraph kept, right the one removed; words only in one of them "
        "are marked.</small></p>"
    )
    return intro + _table(["Jaccard", "kept", "removed"], rows, numeric=1)


def _diff_html(old: str, new: str) -> tuple[str, str]:
    """Both sides of a word diff, escaped, with the words only in one side marked."""
    left, right = [], []
    for op, words in word_diff(old[: SHOWN_CHARS * 2], new[: SHOWN_CHARS * 2]):
        text = html.escape(" ".join(words))
        if op != "+":
            left.append(f"<del>{text}</del>" if op == "-" else text)
        if op != "-":
            right.append(f"<ins>{text}</ins>" if op == "+" else text)
    kept, gone = (f"<span class=text>{' '.join(side)}</span>" for side in (left, right))
    return kept, gone


def _rejects(rejects: pa.Table | None) -> str:
    if rejects is None:
        return _table([], [])
    rows = []
    for reason, n in _counts(rejects.column("reason")):
        some = rejects.filter(pc.equal(rejects.column("reason"), reason)).slice(0, EXAMPLES)
        examples = "<br>".join(
            f"{_e(r['doc_id'])}: <small>{_e(r['detail'])}</small>" for r in some.to_pylist()
        )
        rows.append((f"{n:,}", _e(reason), examples))
    return _table(["documents", "reason", "examples"], rows, numeric=1)

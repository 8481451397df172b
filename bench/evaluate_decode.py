"""Decoding of mixed files: legacy text with UTF-8 in it, and UTF-8 with legacy text in it.

A scraper that took a UTF-8 page for its own code page and saved what it read in that code
page again leaves the page's UTF-8 bytes among its own; so does one that pastes a UTF-8
fragment into a legacy page, or a legacy line into a UTF-8 file. Cases, built from real text
(Telegram posts; BBC articles; German, French and Spanish snippets of trafilatura's benchmark)
and each scored by whether the decoded text, repaired (``cleaner.repair.repair``), equals the
true text repaired (*right*), is another text (*wrong*) or is rejected:

- ``<code page> + utf-8 line|paragraph|words``: a post in a legacy code page with one line,
  one paragraph (between blank lines) or one to three words outside ASCII in UTF-8; a post is
  used when the other lines hold text outside ASCII too (else the file is not mixed);
- ``cp1251 + lossy mojibake line``: a line of UTF-8 read as cp1251 by Python, whose cp1251
  lacks byte 98 (U+FFFD for it), then the post saved in cp1251 with "?" for what it lacks
  (emoji, U+FFFD): a line with "И" or an emoji loses bytes of its UTF-8 for good;
- ``utf-8 + <code page> line|paragraph``: the reverse, a UTF-8 text with one line or paragraph
  in a legacy code page;
- ``clean ...``: the posts and articles in one code page each, and the files of
  ``charset_dataset_multiencoding`` in their true encodings, which must not move.

The true text is the original, but for what a legacy code page cannot hold, which is its "?"
(``str.encode(..., "replace")``); UTF-8 parts keep everything. Every third item of each source
list from ``--split`` (0 is the one the rule was tuned on; 1 and 2 report). Without the mixed
reading is the same decode with ``cleaner.decode._decode_mixed`` left out.

The second table counts the lines outside ASCII of clean legacy text that are valid UTF-8,
by how many characters outside ASCII they hold: those with ``cleaner.decode._EVIDENCE`` or
more would be read as UTF-8, the false positives of the rule.

Run from the repository root: ``python -m bench.evaluate_decode`` (``--help``).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from bench import shared_data
from cleaner import decode
from cleaner.decode import _EVIDENCE, decode_bytes
from cleaner.document import Rejected
from cleaner.repair import repair

CHARSET = "charset_dataset_multiencoding"
CYRILLIC = ("cp1251", "koi8_r", "iso8859_5", "cp866", "mac_cyrillic")
MIXED_CYRILLIC = ("cp1251", "koi8_r", "iso8859_5")


@dataclass(frozen=True)
class Case:
    corpus: str
    variant: str
    truth: str
    data: bytes


Part = tuple[str, bool]  # a piece of text and whether it is saved in UTF-8
Made = tuple[str, bytes] | None  # the true text and the bytes, or None: no case of this text


def legacy(text: str, code_page: str) -> str:
    """What a file in ``code_page`` can hold of ``text``: "?" for the rest."""
    return text.encode(code_page, "replace").decode(code_page)


def saved(parts: Sequence[Part], code_page: str) -> tuple[str, bytes]:
    """The true text and the bytes of parts saved in UTF-8 or in ``code_page``."""
    truth = "".join(text if utf8 else legacy(text, code_page) for text, utf8 in parts)
    data = b"".join(
        text.encode("utf-8") if utf8 else text.encode(code_page, "replace") for text, utf8 in parts
    )
    return truth, data


def one_unit(text: str, sep: str, rng: random.Random, code_page: str, reverse: bool) -> Made:
    """One line (``sep`` "\\n") or paragraph ("\\n\\n") with text outside ASCII in UTF-8 (in
    ``code_page`` when ``reverse``), the rest in the other."""
    units = text.split(sep)
    chosen = [i for i, unit in enumerate(units) if len(unit.strip()) > 10 and not unit.isascii()]
    if not chosen or sum(not unit.isascii() for unit in units) < 2:
        return None
    pick = rng.choice(chosen)
    parts: list[Part] = []
    for i, unit in enumerate(units):
        parts += [(sep, False)] if i else []
        parts.append((unit, (i == pick) != reverse))
    return saved(parts, code_page)


def some_words(text: str, rng: random.Random, code_page: str) -> Made:
    """One to three words outside ASCII in UTF-8, the rest in ``code_page``."""
    words = [word for word in re.finditer(r"\w+", text) if not word.group().isascii()]
    if len(words) < 4:
        return None
    chosen = sorted(rng.sample(words, rng.randint(1, 3)), key=lambda word: word.start())
    parts: list[Part] = []
    last = 0
    for word in chosen:
        parts += [(text[last : word.start()], False), (word.group(), True)]
        last = word.end()
    return saved([*parts, (text[last:], False)], code_page)


def lossy_line(text: str, rng: random.Random) -> Made:
    """A line of UTF-8 read as cp1251 by Python, the whole saved in cp1251 with "?"."""
    lines = text.split("\n")
    chosen = [i for i, line in enumerate(lines) if len(line.strip()) > 10 and not line.isascii()]
    if not chosen or sum(not line.isascii() for line in lines) < 2:
        return None
    pick = rng.choice(chosen)
    truth = [legacy(line, "cp1251") for line in lines]
    truth[pick] = lines[pick]
    lines[pick] = lines[pick].encode("utf-8").decode("cp1251", "replace")
    return "\n".join(truth), "\n".join(lines).encode("cp1251", "replace")


def telegram_texts() -> list[str]:
    """Posts of 20 characters or more with Cyrillic letters, in file order."""
    texts = []
    for path in shared_data.telegram_files():
        for post in json.loads(path.read_text(encoding="utf-8")):
            text = post.get("text")
            if isinstance(text, str) and len(text) >= 20 and re.search("[А-яЁё]", text):
                texts.append(text)
    return texts


def bbc_texts() -> list[str]:
    """Articles with a character outside ASCII (a "£", mostly)."""
    texts = [path.read_bytes().decode("utf-8", "replace") for path in shared_data.bbc_files()]
    return [text for text in texts if not text.isascii()]


def web_texts() -> list[str]:
    """The snippets trafilatura's benchmark asks of each German, French or Spanish page, as
    paragraphs of one text, when there are two or more and one holds a letter outside ASCII."""
    base = shared_data.data_dir() / shared_data.TRAFILATURA
    with (base / "manifest.csv").open(encoding="utf-8") as handle:
        languages = {
            row["path"].split("/", 1)[1]: (row["html_lang"] or "")[:2].lower()
            for row in csv.DictReader(handle)
        }
    evaldata = json.loads((base / "evaldata.json").read_text(encoding="utf-8"))
    texts = []
    for entry in sorted(evaldata.values(), key=lambda entry: entry["file"]):
        if languages.get(entry["file"]) in ("de", "fr", "es"):
            paragraphs = [snippet.strip() for snippet in entry["with"] if snippet.strip()]
            text = "\n\n".join(paragraphs)
            if len(paragraphs) >= 2 and not text.isascii():
                texts.append(text)
    return texts


def charset_files() -> Iterator[tuple[str, bytes]]:
    """``(true encoding, bytes)`` of the charset dataset's files of a codec Python has."""
    import codecs

    base = shared_data.data_dir() / CHARSET
    with (base / "manifest.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                codecs.lookup(row["expected_encoding"])
            except LookupError:
                continue
            yield row["expected_encoding"], (base / row["path"]).read_bytes()


Maker = Callable[[str, random.Random], Made]


def variants() -> list[tuple[str, str, Callable[[], list[str]], Maker]]:
    """``(corpus, variant, texts, make)`` for every set of cases."""
    found: list[tuple[str, str, Callable[[], list[str]], Maker]] = []
    for cp in CYRILLIC:
        found.append(("telegram", f"clean {cp}", telegram_texts, _clean(cp)))
    for cp in MIXED_CYRILLIC:
        found += [
            ("telegram", f"{cp} + utf-8 line", telegram_texts, _unit("\n", cp, False)),
            ("telegram", f"{cp} + utf-8 paragraph", telegram_texts, _unit("\n\n", cp, False)),
            ("telegram", f"{cp} + utf-8 words", telegram_texts, _words(cp)),
        ]
    found.append(("telegram", "cp1251 + lossy mojibake line", telegram_texts, lossy_line))
    for cp in ("cp1251", "koi8_r"):
        found.append(("telegram", f"utf-8 + {cp} line", telegram_texts, _unit("\n", cp, True)))
    for corpus, texts in (("bbc", bbc_texts), ("web de/fr/es", web_texts)):
        found += [
            (corpus, "clean cp1252", texts, _clean("cp1252")),
            (corpus, "cp1252 + utf-8 paragraph", texts, _unit("\n\n", "cp1252", False)),
            (corpus, "utf-8 + cp1252 paragraph", texts, _unit("\n\n", "cp1252", True)),
        ]
    return found


def _clean(cp: str) -> Maker:
    return lambda text, rng: (legacy(text, cp), text.encode(cp, "replace"))


def _unit(sep: str, cp: str, reverse: bool) -> Maker:
    return lambda text, rng: one_unit(text, sep, rng, cp, reverse)


def _words(cp: str) -> Maker:
    return lambda text, rng: some_words(text, rng, cp)


def build(split: int, per_variant: int) -> list[Case]:
    """The cases of every third text from ``split``, at most ``per_variant`` of each set."""
    cases: list[Case] = []
    loaded: dict[Callable[[], list[str]], list[str]] = {}
    for corpus, variant, texts, make in variants():
        made = 0
        for number, text in list(enumerate(loaded.setdefault(texts, texts())))[split::3]:
            if made == per_variant:
                break
            case = make(text, random.Random(f"{corpus} {variant} {number}"))
            if case is not None:
                cases.append(Case(corpus, variant, *case))
                made += 1
    for number, (encoding, data) in enumerate(charset_files()):
        if number % 3 == split:
            truth = data.decode(encoding).removeprefix("\ufeff")
            cases.append(Case("charset dataset", "clean", truth, data))
    return cases


@dataclass(frozen=True)
class Outcome:
    before: str  # right, wrong or rejected, without the mixed reading
    after: str
    mixed: bool  # read as mixed
    seconds: float


def verdict(case: Case) -> tuple[str, bool, float]:
    """Right, wrong or rejected; whether the text was read as mixed; seconds decoding."""
    started = time.perf_counter()
    try:
        text, encoding = decode_bytes(case.data)
    except Rejected:
        return "rejected", False, time.perf_counter() - started
    seconds = time.perf_counter() - started
    right = repair(text)[0] == repair(case.truth)[0]
    return "right" if right else "wrong", encoding.endswith("+utf-8"), seconds


def outcome(case: Case) -> Outcome:
    after, mixed, seconds = verdict(case)
    if not mixed:
        return Outcome(after, after, mixed, seconds)
    original = decode._decode_mixed
    decode._decode_mixed = lambda data: None  # without the mixed reading
    try:
        before = verdict(case)[0]
    finally:
        decode._decode_mixed = original
    return Outcome(before, after, mixed, seconds)


def false_positives(splits: Sequence[int]) -> dict[str, collections.Counter[int]]:
    """By code page, the lines outside ASCII of clean legacy text (key -1: how many) and
    those that are valid UTF-8, by how many characters outside ASCII they hold."""
    sources = [(f"telegram {cp}", telegram_texts, cp) for cp in CYRILLIC]
    sources.append(("bbc cp1252", bbc_texts, "cp1252"))  # "£": ASCII in the others
    sources += [(f"web {cp}", web_texts, cp) for cp in ("cp1252", "cp1250", "iso8859_2")]
    counts: dict[str, collections.Counter[int]] = {}
    for name, texts, cp in sources:
        counter = counts.setdefault(name, collections.Counter())
        every = texts()
        for text in (text for split in splits for text in every[split::3]):
            for line in text.encode(cp, "replace").splitlines():
                if line.isascii():
                    continue
                counter[-1] += 1
                try:
                    decoded = line.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                counter[sum(not char.isascii() for char in decoded)] += 1
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="1,2", help="offsets of every third text: 0,1,2")
    parser.add_argument("--per-variant", type=int, default=2000, help="cases of each set")
    args = parser.parse_args(argv)
    if not shared_data.available():
        print(shared_data.missing_message())
        return 0
    splits = [int(split) for split in args.split.split(",")]
    table: dict[tuple[str, str], list[Outcome]] = collections.defaultdict(list)
    for split in splits:
        for case in build(split, args.per_variant):
            table[(case.corpus, case.variant)].append(outcome(case))
    print(f"splits {args.split}: right / wrong / rejected, without and with the mixed reading")
    print(f"{'set':48} {'cases':>6}  {'without':>16}  {'with':>16}")
    for (corpus, variant), outcomes in table.items():
        print(
            f"{corpus + ' / ' + variant:48} {len(outcomes):6}  "
            f"{_counts(o.before for o in outcomes)}  {_counts(o.after for o in outcomes)}"
        )
    every = [o for outcomes in table.values() for o in outcomes]
    for tried in (False, True):
        chosen = [o.seconds for o in every if o.mixed == tried]
        what = "read as mixed" if tried else "read in one encoding, or rejected"
        if chosen:
            mean = sum(chosen) / len(chosen) * 1000
            print(f"decode_bytes, {what}: {len(chosen)} cases, {mean:.2f} ms each")
    print("lines outside ASCII of clean text that are valid UTF-8, by characters outside ASCII")
    for name, counter in false_positives(splits).items():
        valid = {n: c for n, c in sorted(counter.items()) if n >= 0}
        taken = sum(c for n, c in valid.items() if n >= _EVIDENCE)
        print(f"  {name:22} {counter[-1]:7} lines, valid {valid or 'none'}: {taken} taken")
    return 0


def _counts(verdicts: Iterator[str]) -> str:
    counter = collections.Counter(verdicts)
    return f"{counter['right']:5} {counter['wrong']:4} {counter['rejected']:5}"


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed on the shapes of input that make work grow faster than the input: a table whose lines
are made on one template, and a channel's posts under a footer longer than each.

Each shape is cleaned beside its plain counterpart, the same amount of text without the shape,
and the ratio of their times is the figure: how much more a document of that shape costs than
a document of ordinary text. Every line of a table resembles every other, so that each would
be verified against all those before it; every post under a shared footer agrees, whole, with
the posts around it, so that each pair would be read back and compared. A ratio near 1 says
the shape costs what its text costs.

- table: one article of ``--lines`` lines, each "<team> beat <team> <goals> at home in the
  league match on <day>" with its own teams, goals and day, and a tenth of them copied again
  later, whole or cut; against the same lines, each with its words in a random order (no
  two alike), in one article;
- channel: ``--posts`` posts of 15 to 60 made-up words, each under the same three-paragraph
  footer; against the same posts, each under three paragraphs of its own as long.

Made-up words, so that this needs nothing from ``../shared``. Run ``python -m bench.shapes``
(``make bench`` runs it); each run is ``cleaner clean`` in a process of its own, ``-j 1``, the
default corpus scope; medians of ``--rounds`` rounds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.speed import run_cli

_TEAMS = ["Arsenal", "Chelsea", "Everton", "Fulham", "Leeds", "Burnley", "Wolves", "Villa"]
_DAYS = ["Saturday", "Sunday", "Tuesday", "Wednesday"]
_SYLLABLES = ["ka", "ro", "mi", "ten", "sul", "va", "dor", "pe", "lin", "gra", "bo", "chi"]
_FOOTER = [
    "Subscribe to our channel to get the news first, every day, from our reporters.",
    "Send us your photos and videos: our bot answers at any time of the day and night.",
    "Advertising and partnerships: write to the editors, we reply within one working day.",
]


def table_lines(rng: random.Random, lines: int) -> list[str]:
    """A table of results on one template, with a tenth of its lines copied again later."""
    found = []
    for _ in range(lines):
        home, away = rng.sample(_TEAMS, 2)
        goals = f"{rng.randint(0, 5)}-{rng.randint(0, 5)}"
        day = rng.choice(_DAYS)
        found.append(f"{home} beat {away} {goals} at home in the league match on {day}")
    for _ in range(lines // 10):
        original = rng.randrange(len(found))
        copy = found[original].split()
        cut = copy[:-2] if rng.random() < 0.5 else copy
        found.insert(rng.randrange(original + 1, len(found) + 1), " ".join(cut))
    return found


def shuffled(rng: random.Random, lines: list[str]) -> list[str]:
    """The same lines, each with its words in a random order: the same text, no template."""
    out = []
    for line in lines:
        words = line.split()
        rng.shuffle(words)
        out.append(" ".join(words))
    return out


def post(rng: random.Random) -> str:
    return _made_up(rng, rng.randint(15, 60))


def _made_up(rng: random.Random, words: int) -> str:
    """A sentence of made-up words."""
    made = ("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(words))
    return " ".join(made).capitalize() + "."


def write_shapes(folder: Path, seed: int, lines: int, posts: int) -> dict[str, Path]:
    """The four folders: each shape and its plain counterpart."""
    rng = random.Random(seed)
    table = table_lines(rng, lines)
    texts = [post(rng) for _ in range(posts)]
    made = {
        "table": {"table.txt": "\n\n".join(table)},
        "table, plain": {"table.txt": "\n\n".join(shuffled(rng, table))},
        "channel": {f"{n:05d}.txt": "\n\n".join([t, *_FOOTER]) for n, t in enumerate(texts)},
        "channel, plain": {
            f"{n:05d}.txt": "\n\n".join([t, *(_made_up(rng, len(f.split())) for f in _FOOTER)])
            for n, t in enumerate(texts)
        },
    }
    found = {}
    for name, files in made.items():
        where = folder / name.replace(", ", "-")
        where.mkdir(parents=True)
        for file, text in files.items():
            (where / file).write_text(text + "\n", encoding="utf-8")
        found[name] = where
    return found


def seconds(folder: Path, out: Path) -> float:
    """Wall time of ``cleaner clean`` on a folder, as a user runs it."""
    for stale in out.parent.glob(out.stem + "*"):
        stale.unlink()
    return run_cli([folder], out, 1, "corpus")[0].seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=900, help="lines of the table")
    parser.add_argument("--posts", type=int, default=4000, help="posts of the channel")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="cleaner-shapes-") as temp:
        work = Path(temp)
        folders = write_shapes(work / "in", args.seed, args.lines, args.posts)
        times: dict[str, list[float]] = {name: [] for name in folders}
        for _ in range(args.rounds):
            for name, folder in folders.items():
                times[name].append(seconds(folder, work / "out" / "corpus.parquet"))
    result = Table(title=f"shapes, cleaner clean -j 1, medians of {args.rounds} rounds")
    for column in ("shape", "seconds", "plain counterpart, seconds", "shape / plain"):
        result.add_column(column, justify="right")
    for shape, size in (("table", f"{args.lines} lines"), ("channel", f"{args.posts} posts")):
        ratios = [a / b for a, b in zip(times[shape], times[f"{shape}, plain"], strict=True)]
        result.add_row(
            f"{shape} ({size})",
            f"{statistics.median(times[shape]):.2f}",
            f"{statistics.median(times[f'{shape}, plain']):.2f}",
            f"{statistics.median(ratios):.2f}x ({min(ratios):.2f} to {max(ratios):.2f})",
        )
    console.print(result)


if __name__ == "__main__":
    main()

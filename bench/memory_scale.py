"""Peak memory at corpus scope against the size of the input: one workload, and ten of it.

A fair ten times is ten times as many documents with the same repeats among them, not the
same documents ten times over (which the pass would settle as copies of one text). So the
large workload is ``--times`` worlds of the small one: world ``k`` has every record's id and
URL marked with ``k``, and every word of its title and text given a suffix of its own
(figures as they are). Inside a world the records repeat each other, and share paragraphs,
exactly as the small workload's do; across worlds no two texts share a word. The small
workload is world 0, a JSON Lines dump of real news as ``make bench-large`` writes them
(:func:`bench.large_dump.write_dump`), half of it with a repeat injected.

Each dump is cleaned at the default corpus scope, as a process of its own (``cleaner clean
DUMP -j N --json``), and the peak resident memory of the largest process (the run or a
worker, :func:`bench.large_dump.run`) is printed with the wall time, the documents and the
load average, then the ratio of the large peak to the small one: a pass whose memory is
flat in the size of the corpus keeps it near 1 (``make bench`` wants at most 1.2).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path

from bench import shared_data
from bench.large_dump import SEED, run, write_dump

ROOT = Path(__file__).resolve().parents[1]
_WORD = re.compile(r"[^\W\d_]+")


def world_tag(world: int) -> str:
    """The suffix of every word of world ``world``; none for world 0, the small workload.

    >>> [world_tag(k) for k in (0, 1, 2, 27)]
    ['', 'qb', 'qc', 'qbb']
    """
    tag = ""
    while world:
        world, digit = divmod(world, 26)
        tag = chr(ord("a") + digit) + tag
    return "q" + tag if tag else ""


def in_world(record: dict[str, str], world: int) -> dict[str, str]:
    """A record of the small workload as world ``world`` has it.

    >>> in_world({"id": "a/1", "url": "https://x/1", "title": "Up 5%", "text": "Up 5%"}, 1)
    {'id': 'w1/a/1', 'url': 'https://x/1/w1', 'title': 'Upqb 5%', 'text': 'Upqb 5%'}
    """
    tag = world_tag(world)
    moved = dict(record, id=f"w{world}/{record['id']}", url=f"{record['url']}/w{world}")
    for field in ("title", "text"):
        moved[field] = _WORD.sub(lambda word: word.group() + tag, record[field])
    return moved


def write_worlds(small: Path, path: Path, times: int) -> int:
    """``times`` worlds of the dump ``small``, one after another, into ``path``; records."""
    records = 0
    partial = path.with_name(path.name + ".tmp")
    with partial.open("w", encoding="utf-8") as out:
        for world in range(times):
            with small.open(encoding="utf-8") as source:
                for line in source:
                    record = in_world(json.loads(line), world)
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    records += 1
    partial.rename(path)
    return records


def _dump(path: Path, make: Callable[[], int]) -> int:
    """The records of the dump at ``path``, made once by ``make()`` (kept between runs)."""
    counted = path.with_name(path.name + ".records")
    if not path.exists() or not counted.exists():
        counted.write_text(str(make()))
    return int(counted.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=ROOT / "build" / "memory")
    parser.add_argument("--mb", type=int, default=20, help="size of the small workload, MB")
    parser.add_argument("--times", type=int, default=10, help="worlds in the large one")
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    args = parser.parse_args()
    if not shared_data.available():
        print(f"memory bench skipped: {shared_data.missing_message()}")
        return 0
    args.folder.mkdir(parents=True, exist_ok=True)
    small = args.folder / f"dump_{args.mb}mb.jsonl"
    large = args.folder / f"dump_{args.mb}mb_x{args.times}.jsonl"
    dumps = {
        1: (small, _dump(small, lambda: write_dump(small, args.mb * 1_000_000, SEED))),
        args.times: (large, _dump(large, lambda: write_worlds(small, large, args.times))),
    }
    print("workload  workers  load  seconds  peak MB (parent)  documents")
    for workers in args.workers:
        peaks = {}
        for times, (path, records) in dumps.items():
            done = run(path, args.folder / f"{path.stem}.j{workers}.parquet", workers, "corpus")
            peaks[times] = done.peak_mb
            lost = "" if done.documents == records else "  RECORDS LOST"
            print(
                f"{times}x ({path.stat().st_size / 1e6:,.0f} MB)  -j {workers}  {done.load:.2f}  "
                f"{done.seconds:.1f}  {done.peak_mb:,.0f} ({done.parent_peak_mb:,.0f})  "
                f"{done.documents:,}/{records:,}{lost}",
                flush=True,
            )
        print(f"  -j {workers}: peak at {args.times}x / at 1x = {peaks[args.times] / peaks[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Writes ``tests/data/dedup_quality.jsonl``: the committed dedup-quality set.

Every line is ``{"text", "group"}``. Texts that share a group are near copies
of one page (a few words changed, a navigation line added, whitespace and
punctuation changed, the last sentence dropped; one page 40 times with small
edits); a group of one is a distinct text. The distinct texts include Python
source, tables with one layout, and chord sheets: unrelated texts that share
most of their characters. Prose and code come from this Python's standard
library, so the set needs no download; rerun this script only to change it.
"""

from __future__ import annotations

import inspect
import json
import random
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "dedup_quality.jsonl"
NAVIGATION = "Home | News | Docs | Blog | About | Contact | Sign in"
PAGE_X40 = "argparse"
COPIED = ["pdb", "turtle", "shelve", "csv", "unittest"]
DISTINCT_PROSE = ["doctest", "sched", "pydoc", "subprocess", "heapq", "ftplib"]
CODE = [
    "textwrap.TextWrapper._wrap_chunks",
    "shlex.split",
    "json.dumps",
    "heapq.merge",
    "fractions.Fraction.limit_denominator",
    "statistics.median_grouped",
    "textwrap.dedent",
]
CHORDS = ["G", "D", "Em", "C", "Am", "F", "Bm", "E7"]


def prose(name: str) -> str:
    module = __import__(name)
    text = " ".join(inspect.getdoc(module).split())
    return text[: text.rfind(".", 0, 2400) + 1]


def code(path: str) -> str:
    module, *attrs = path.split(".")
    obj = __import__(module)
    for attr in attrs:
        obj = getattr(obj, attr)
    return inspect.getsource(obj)[:3000]


def table(rng: random.Random, city: str) -> str:
    rows = [
        f"| {m} | {rng.randint(-5, 30)} | {rng.randint(-15, 15)} | {rng.randint(0, 120)} "
        f"| {rng.randint(1, 14)} | {rng.randint(20, 300)} |"
        for m in [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
    ]
    return "\n".join(
        [
            f"Monthly climate for {city}",
            "| Month | Max C | Min C | Rain mm | Wet days | Sun h |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )


def chord_sheet(rng: random.Random, words: list[str], title: str) -> str:
    lines = [f"{title} - chords and lyrics", "Capo 2"]
    for part in ["Verse 1", "Chorus", "Verse 2", "Chorus", "Bridge", "Chorus"]:
        lines.append(f"[{part}]")
        for _ in range(4):
            lines.append("  ".join(rng.choices(CHORDS, k=4)))
            lines.append(" ".join(rng.choices(words, k=7)))
    return "\n".join(lines)


def change_words(rng: random.Random, text: str, n: int) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), n):
        words[i] = rng.choice(["very", "also", "often", "quite", "the", "new"])
    return " ".join(words)


def variants(rng: random.Random, text: str) -> list[str]:
    sentences_dropped = text[: text.rstrip(". ").rfind(".") + 1]
    return [
        change_words(rng, text, 3),
        f"{NAVIGATION}\n{text}",
        text.replace(". ", ".  ").replace(", ", " , ").replace(":", ";"),
        sentences_dropped,
    ]


def main() -> None:
    rng = random.Random(0)
    distinct = [prose(m) for m in DISTINCT_PROSE] + [code(p) for p in CODE]
    words = " ".join(distinct).lower().split()
    distinct += [table(rng, c) for c in ["Oslo", "Lima", "Perth", "Quito"]]
    distinct += [chord_sheet(rng, words, t) for t in ["River Song", "Night Train", "Old Roads"]]
    rows = [{"text": t, "group": f"distinct-{i:02d}"} for i, t in enumerate(distinct)]
    for i, name in enumerate(COPIED):
        base = prose(name)
        rows += [{"text": t, "group": f"copies-{i}"} for t in [base, *variants(rng, base)]]
    page = prose(PAGE_X40)
    rows.append({"text": page, "group": "page-x40"})
    for _ in range(39):
        edited = change_words(rng, page, rng.randint(1, 3))
        rows.append({"text": rng.choice([edited, f"{edited}\n{NAVIGATION}"]), "group": "page-x40"})
    rng.shuffle(rows)
    FIXTURE.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{FIXTURE}: {len(rows)} texts, {len({r['group'] for r in rows})} groups")


if __name__ == "__main__":
    main()

"""Exact-match scoring of a run's answers: every round's answers file read and scored.

Answers are Alpaca's outputs (../shared/data/alpaca_5000.json, repeated to size),
each one compared with itself or, for every other record, with a changed copy;
families are the demo's nine names, assigned round-robin. Falls back to the demo
generator where the shared data is absent.

    python benchmarks/accuracy.py --answers 52000 --rounds 11
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from selfalign.data.demo import FAMILIES, generate_demo_records
from selfalign.evaluate.accuracy import accuracy_table
from selfalign.io import read_jsonl, write_jsonl

ALPACA = Path(__file__).resolve().parents[2] / "shared/data/alpaca_5000.json"


def answers(n: int) -> list[dict]:
    source = json.loads(ALPACA.read_text()) if ALPACA.is_file() else generate_demo_records(600, 0)
    source = [r for r in source if r["output"].strip()]  # a reference is needed to score
    families = cycle(FAMILIES)
    return [
        {
            "id": f"q{i}",
            "category": next(families),
            "reference": r["output"],
            "answer": r["output"] if i % 2 else r["output"] + " (changed)",
        }
        for i, r in enumerate(islice(cycle(source), n))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=52_000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for r in range(args.rounds):
            paths[f"rd_{r}"] = Path(tmp) / f"rd_{r}.jsonl"
            write_jsonl(answers(args.answers), paths[f"rd_{r}"])
        start = time.perf_counter()
        table = accuracy_table({m: read_jsonl(p) for m, p in paths.items()}, paths)
        seconds = time.perf_counter() - start
    total = table[table.family == "all"]
    print("| answers per round | rounds | seconds | answers/s | accuracy (all) |")
    print("| --- | --- | --- | --- | --- |")
    rate = args.answers * args.rounds / seconds
    accuracy = total["accuracy"].mean()
    print(f"| {args.answers:,} | {args.rounds} | {seconds:.2f} | {rate:,.0f} | {accuracy:.3f} |")


if __name__ == "__main__":
    main()

"""Command-line tools that only read files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def judge_summary(argv: list[str] | None = None) -> int:
    """Summarise judgment files (ours or DiverseEvol's released ones) into a TSV."""
    from selfalign.evaluate.judgments import summary_table

    parser = argparse.ArgumentParser(
        prog="selfalign-judge-summary",
        description="n, Win, Tie, Lose, WS, RS and unparsed replies per judgment file. "
        "Folders are searched for rd_*_vs_*.jsonl.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="judgment files or folders")
    parser.add_argument("-o", "--output", type=Path, help="write the TSV here, not to stdout")
    args = parser.parse_args(argv)
    files = []
    for path in args.paths:
        found = sorted(path.rglob("rd_*_vs_*.jsonl")) if path.is_dir() else [path]
        if not found:
            parser.error(f"{path}: no judgment files (rd_*_vs_*.jsonl) found")
        files.extend(found)
    table = summary_table(files)
    table.to_csv(args.output or sys.stdout, sep="\t", index=False, float_format="%.4f")
    return 0

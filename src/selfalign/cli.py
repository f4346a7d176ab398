"""Command-line tools that only read files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def push(argv: list[str] | None = None) -> int:
    """Upload a run's export folder (``snakemake export``) to the hub repositories its
    push.json names; the token comes from HF_TOKEN."""
    from selfalign.export import push as push_folder
    from selfalign.export import uploads

    parser = argparse.ArgumentParser(prog="selfalign-push", description=push.__doc__)
    parser.add_argument("folder", type=Path, help="results/RUN/export")
    parser.add_argument("--dry-run", action="store_true", help="list the uploads, send nothing")
    parser.add_argument("--public", action="store_true", help="create public repositories")
    args = parser.parse_args(argv)
    if not (args.folder / "push.json").is_file():
        parser.error(f"{args.folder}: no push.json; run `snakemake export` first")
    planned = (
        uploads(args.folder) if args.dry_run else push_folder(args.folder, private=not args.public)
    )
    if not planned:
        print("nothing to push: set export.dataset_repo or export.model_repo in the config")
    for upload in planned:
        verb = "would upload" if args.dry_run else "uploaded"
        print(f"{verb} {', '.join(upload['folders'])} -> {upload['repo_type']} {upload['repo_id']}")
    return 0


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

"""Where the demo's wall time goes: job start-up (interpreter, imports) vs compute.

Runs a config from scratch in a temporary folder, then reads each job's
`benchmark:` file (its wall time) and the start-up line its log begins with.

    python benchmarks/workflow_overhead.py [--config config/config.yaml]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
STARTUP = re.compile(r"start-up: ([0-9.]+) s")


def finished_jobs(results: Path):
    """Each job's ``benchmark:`` file, its measurements (last row) and its log's text."""
    for bench in sorted(results.rglob("benchmarks/**/*.tsv")):
        log = Path(str(bench).replace("/benchmarks/", "/logs/")).with_suffix(".log")
        yield bench, pd.read_csv(bench, sep="\t").iloc[-1], log.read_text() if log.exists() else ""


def job_times(results: Path) -> pd.DataFrame:
    """One row per job: rule folder, wall seconds, start-up seconds."""
    rows = []
    for bench, measured, log in finished_jobs(results):
        after = bench.relative_to(results).parts
        step = Path(after[after.index("benchmarks") + 1]).stem  # a folder, or init_round.tsv
        if step == "humback":  # humback/finetune_M1.tsv -> humback/finetune
            step += "/" + re.sub(r"_(M\d+|backward|\d+.*)$", "", bench.stem)
        found = STARTUP.findall(log)
        startup = float(found[-1]) if found else None
        rows.append({"step": step, "wall_s": measured["s"], "startup_s": startup})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "config/config.yaml"))
    parser.add_argument("--cores", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
                   "--directory", folder, "--configfile", args.config, "--cores", args.cores,
                   "--quiet", "all"]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(command, check=True)
        wall = time.perf_counter() - start
        jobs = job_times(Path(folder) / "results")
    per_step = jobs.groupby("step").agg(
        jobs=("wall_s", "size"), wall_s=("wall_s", "sum"), startup_s=("startup_s", "sum")
    )
    per_step["startup_share"] = per_step["startup_s"] / per_step["wall_s"]
    print(per_step.sort_values("wall_s", ascending=False).round(2).to_markdown())
    total, startup = jobs["wall_s"].sum(), jobs["startup_s"].sum()
    print(
        f"\n{len(jobs)} jobs; workflow wall time {wall:.1f} s on {args.cores} cores; "
        f"job time {total:.1f} s, of which start-up {startup:.1f} s ({startup / total:.0%})"
    )
    counts = defaultdict(int, jobs["startup_s"].isna().value_counts().to_dict())
    if counts[True]:
        print(f"{counts[True]} jobs logged no start-up line")


if __name__ == "__main__":
    main()

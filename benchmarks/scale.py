"""DiverseEvol on a 500,000-record pool with the demo-size model, on this machine.

Builds a JSON Lines pool from ``../shared/data/alpaca_5000.json`` (varied
text, see ``pool_data.py``), then runs two rounds of k-center with ``n_query``
1,000 through the real workflow (prepare_pool, init_round, finetune, embed,
select, and the release's JSON views of round 1), and prints every job's
seconds (its ``benchmark:`` file), peak memory and the share of its time spent
reading and writing files (from its log: ``selfalign.cluster.logs``' ``peak memory``
and ``step ...`` lines).

    python benchmarks/scale.py [--records 500000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from demo_model import CONFIG
from pool_data import ALPACA, alpaca_like, write_json_lines
from workflow_overhead import finished_jobs

REPO = Path(__file__).resolve().parents[1]
STEP = re.compile(r"step (\w[\w ]*): ([0-9.]+) s")
TOKENS = re.compile(r"(\d+) records, (\d+) tokens")
PEAK = re.compile(r"peak memory: (\d+) MiB \(largest child process: (\d+) MiB\)")
IO_STEPS = {"read", "write", "read and check"}


def scale_config(pool: Path, n_query: int) -> dict:
    """The demo's model and training settings on ``pool``: k-center, 2 rounds."""
    demo = yaml.safe_load(CONFIG.read_text())
    model = demo["models"]["tiny-llama"]
    model["build"]["dataset"] = "alpaca5k"  # the tokenizer learns Alpaca's text
    return {
        "datasets": {"big": {"path": str(pool)}, "alpaca5k": {"path": str(ALPACA)}},
        "models": {"tiny-llama": model},
        "diverse_evol": demo["diverse_evol"]
        | {"init_label_num": n_query, "n_query": n_query, "n_round": 2},
        "runs": {"kc": {"dataset": "big", "model": "tiny-llama", "strategy": "kcenter"}},
    }


def job_table(results: Path) -> pd.DataFrame:
    rows = []
    for bench, measured, text in finished_jobs(results):
        job = bench.relative_to(results).as_posix().replace("benchmarks/", "").removesuffix(".tsv")
        steps = {name: float(s) for name, s in STEP.findall(text)}
        io = sum(s for name, s in steps.items() if name in IO_STEPS)
        peak = PEAK.search(text)
        row = {"job": job, "seconds": measured["s"],
               "peak MiB": max(map(int, peak.groups())) if peak else None,
               "I/O s": io, "I/O share": io / measured["s"]}  # fmt: skip
        row["steps"] = ", ".join(f"{name} {s:.1f}" for name, s in steps.items())
        found = TOKENS.search(text)
        if found and "pass" in steps:
            row["steps"] += f"; {int(found[2]):,} tokens, {int(found[2]) / steps['pass']:,.0f}/s"
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--n-query", type=int, default=1000)
    parser.add_argument("--keep", help="work in this folder and keep it")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="scale-"))
    work.mkdir(parents=True, exist_ok=True)
    pool = write_json_lines(alpaca_like(args.records), work / "pool.jsonl")
    (work / "config.yaml").write_text(yaml.safe_dump(scale_config(pool, args.n_query)))
    targets = ["results/kc/output/rd_2"] + [
        f"results/kc/data/rd_1_{part}.json" for part in ("labeled", "unlabeled")
    ]
    command = [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(work), "--configfile", str(work / "config.yaml"),
               "--cores", "2", "--quiet", "all"]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    table = job_table(work / "results")
    print(f"{args.records:,} records ({pool.stat().st_size / 2**20:.0f} MiB of JSON Lines), "
          f"2 rounds of k-center, n_query {args.n_query}: {wall:.0f} s in all\n")  # fmt: skip
    print(table.round(2).to_markdown(index=False))
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

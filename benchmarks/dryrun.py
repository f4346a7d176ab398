"""Planning time: dry runs of the paper's DiverseEvol config on pools of 600,
52,002 (one Alpaca-style JSON array) and 500,000 (JSON Lines) records.

Stand-in test sets and answer files are written to a temporary folder. Each
dry run runs under a Python audit hook that counts every open of the pool
file (and of its sidecar, to show the hook sees opens), and lists which heavy
modules were imported by the end. The last row is the re-plan a cluster job
makes once the pool is prepared (the sidecar is read).

    python benchmarks/dryrun.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from pool_data import alpaca_like, write_alpaca_array, write_json_lines

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "vllm", "datasets", "selfalign.data.pools")

# Runs Snakemake's CLI in this process, counting opens of the pool file.
WRAPPER = """
import atexit, json, sys, runpy
pool, meta = sys.argv.pop(1), sys.argv.pop(1)
opened = []
def hook(event, args):
    if event == "open" and args and str(args[0]).endswith((pool, meta)):
        opened.append(str(args[0]))
sys.addaudithook(hook)
def report():
    heavy = [m for m in HEAVY if m in sys.modules]
    opens = {"pool": opened.count(pool), "sidecar": len(opened) - opened.count(pool)}
    sys.__stderr__.write("AUDIT " + json.dumps(opens | {"heavy": heavy}) + "\\n")
atexit.register(report)
sys.argv[0] = "snakemake"
runpy.run_module("snakemake", run_name="__main__")
""".replace("HEAVY", repr(HEAVY))


def stand_in_files(work: Path) -> None:
    """The paper config's test sets, reference answers and AlpacaEval files."""
    (work / "data/diverseevol/test_data").mkdir(parents=True)
    for name in ("vicuna", "koala", "wizardlm"):
        (work / f"data/diverseevol/test_data/{name}_test_set.jsonl").write_text(
            '{"id": "q1", "instruction": "Why?"}\n'
        )
    chat = work / "data/diverseevol/answer_reference/koala_test/gpt/gpt35_0624.jsonl"
    chat.parent.mkdir(parents=True)
    chat.write_text('{"id": "q1", "instruction": "Why?", "answer": "Because."}\n')
    alpaca = work / "data/alpaca_eval/text_davinci_003_model_outputs.json"
    alpaca.parent.mkdir(parents=True)
    alpaca.write_text('[{"instruction": "Why?", "output": "Because.", "generator": "r"}]')


def snakemake(work: Path, pool: Path, *args: str) -> tuple[float, dict, str]:
    meta = "results/pools/dolly.meta.json"
    command = [sys.executable, "-c", WRAPPER, str(pool), meta,
               "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(work), "--configfile", str(work / "config.yaml"),
               "--cores", "2", *args]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    audit = next(line for line in result.stderr.splitlines() if line.startswith("AUDIT "))
    return seconds, json.loads(audit.removeprefix("AUDIT ")), result.stdout + result.stderr


def plan(work: Path, pool: Path, repeat: int) -> dict:
    config = yaml.safe_load((REPO / "config/diverseevol_dolly.yaml").read_text())
    config["datasets"]["dolly"]["path"] = str(pool)
    (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    runs = [snakemake(work, pool, "-n") for _ in range(repeat)]
    output = runs[-1][2].splitlines()
    jobs = next(line for line in output if line.startswith("total")).split()[1]
    return {"seconds": statistics.median(r[0] for r in runs), "jobs": jobs,
            "pool opened": sum(r[1]["pool"] for r in runs),
            "sidecar opened": sum(r[1]["sidecar"] for r in runs),
            "heavy imports": ", ".join(runs[-1][1]["heavy"]) or "none"}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="dry runs per pool (median)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        stand_in_files(work)
        pools = {
            "600 records, JSON Lines": write_json_lines(alpaca_like(600), work / "p600.jsonl"),
            "52,002 records, one JSON array": write_alpaca_array(
                alpaca_like(52_002), work / "alpaca_data.json"
            ),
            "500,000 records, JSON Lines": write_json_lines(
                alpaca_like(500_000), work / "p500k.jsonl"
            ),
        }
        for name, pool in pools.items():
            rows.append({"pool": name} | plan(work, pool, args.repeat))
        # A cluster job's re-plan: the pool is prepared, planning reads its sidecar.
        snakemake(work, pool, "results/pools/dolly.arrow")
        rows.append({"pool": f"{name}, prepared (sidecar read)"} | plan(work, pool, args.repeat))
        shutil.rmtree(work / "results")
    header = list(rows[0])
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    for row in rows:
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

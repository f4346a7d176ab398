"""Humback's unlabeled-text job at the paper's size: read 500,000 web-like
pages of 600 to 3,000 characters, drop exact copies (hash of normalised text)
and near copies (datatrove's MinHash LSH), and sample, as ``humback_unlabeled``
does. The pages carry planted copies (``pool_data.web_pages_with_copies``), so
the counts found can be checked against the counts planted. Then the
dedup-quality set (``tests/data/dedup_quality.jsonl``): how many near-copy
groups keep exactly one text, and how many distinct texts are dropped.

    python benchmarks/dedup.py [--n 500000] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil
from pool_data import web_pages_with_copies, write_json_lines

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "dedup_quality.jsonl"

# the steps of select_unlabeled, keeping the pages' indices to check them
JOB = """
import json, resource, sys, time
start = time.perf_counter()
from selfalign.humback.dedup import MinHashSettings, first_exact_copies, near_copy_survivors
from selfalign.humback.unlabeled import read_web_text
texts = read_web_text(sys.argv[1])
read = time.perf_counter()
long = [i for i, t in enumerate(texts) if 600 <= len(t.strip()) <= 3000]
unique = [long[i] for i in first_exact_copies([texts[i].strip() for i in long])]
exact = time.perf_counter()
kept = [unique[i] for i in near_copy_survivors(
    [texts[i].strip() for i in unique], MinHashSettings(), sys.argv[2], int(sys.argv[3]))]
done = time.perf_counter()
peak = lambda who: resource.getrusage(who).ru_maxrss / 1024
print(json.dumps({"outside_length_range": len(texts) - len(long),
                  "exact_duplicates": len(long) - len(unique),
                  "near_duplicates": len(unique) - len(kept), "kept": kept,
                  "read s": read - start, "exact s": exact - read, "near s": done - exact,
                  "total s": done - start, "peak MiB": peak(resource.RUSAGE_SELF),
                  "worker peak MiB": peak(resource.RUSAGE_CHILDREN)}))
"""

QUALITY = """
import json, sys, tempfile
from selfalign.humback.dedup import MinHashSettings, first_exact_copies, near_copy_survivors
rows = [json.loads(line) for line in open(sys.argv[1])]
texts = [r["text"] for r in rows]
first = first_exact_copies(texts)
with tempfile.TemporaryDirectory() as work:
    kept = near_copy_survivors([texts[i] for i in first], MinHashSettings(), work)
print(json.dumps([rows[first[i]]["group"] for i in kept]))
"""


def run(code: str, *args) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return result.stdout.splitlines()[-1]


def run_sampling_memory(code: str, *args) -> tuple[str, float]:
    """``run``, and the peak of the job's and its workers' memory together (PSS, which
    counts pages that forked workers share with the job once), sampled every 0.2 s."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        job = psutil.Popen([sys.executable, "-c", code, *map(str, args)], stdout=out, stderr=err)
        peak = 0
        while job.poll() is None:
            total = 0
            for process in [job, *job.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_full_info().pss
            peak = max(peak, total)
            time.sleep(0.2)
        out.seek(0), err.seek(0)
        if job.returncode:
            raise SystemExit(err.read()[-3000:])
        return out.read().splitlines()[-1], peak / 2**20


def quality() -> None:
    groups = Counter(json.loads(line)["group"] for line in FIXTURE.open())
    kept = Counter(json.loads(run(QUALITY, FIXTURE)))
    copied = [g for g in groups if not g.startswith("distinct")]
    distinct = [g for g in groups if g.startswith("distinct")]
    print(f"\n{FIXTURE.name}: {sum(groups.values())} texts")
    print("| near-copy groups keeping exactly one | texts kept of the 40-copy page | "
          "distinct texts dropped |")  # fmt: skip
    print("| --- | --- | --- |")
    print(f"| {sum(kept[g] == 1 for g in copied)} of {len(copied)} | {kept['page-x40']} | "
          f"{sum(kept[g] == 0 for g in distinct)} of {len(distinct)} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    pages, originals, kinds = web_pages_with_copies(args.n)
    planted = Counter(kinds)
    with tempfile.TemporaryDirectory() as folder:
        web = write_json_lines([{"content": p} for p in pages], Path(folder) / "web.jsonl")
        size_mb = web.stat().st_size / 1e6
        del pages
        line, peak = run_sampling_memory(JOB, web, folder, args.workers)
        row = json.loads(line)
    print(f"{args.n:,} web-like pages ({size_mb:.0f} MB of JSON Lines), {args.workers} workers")
    print("| step | planted | found |")
    print("| --- | --- | --- |")
    print(f"| outside 600-3000 characters | - | {row['outside_length_range']:,} |")
    print(f"| exact copies (normalised) | {planted['exact']:,} | {row['exact_duplicates']:,} |")
    print(f"| near copies (MinHash LSH) | {planted['near']:,} | {row['near_duplicates']:,} |")
    print(f"| kept | {planted['original']:,} | {len(row['kept']):,} |")
    per_original = Counter(originals[i] for i in row["kept"])
    print(f"\noriginals kept exactly once: {sum(n == 1 for n in per_original.values()):,}; "
          f"kept more than once: {sum(n > 1 for n in per_original.values()):,}; "
          f"lost with all their copies: {planted['original'] - len(per_original):,}")  # fmt: skip
    print(f"read {row['read s']:.1f} s, exact {row['exact s']:.1f} s, "
          f"near {row['near s']:.1f} s, "
          f"total {row['total s']:.1f} s; peak memory of the job and its workers together "
          f"{peak:,.0f} MiB (PSS; RSS peaks: {row['peak MiB']:,.0f} MiB the job, "
          f"{row['worker peak MiB']:,.0f} MiB its largest worker)")  # fmt: skip
    quality()


if __name__ == "__main__":
    main()

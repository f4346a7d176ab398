"""The CPU side of self-curation at the paper's size: 502,000 augmented pairs
(Humback's sampled web texts), built from ``../shared/data/alpaca_5000.json``.

Timed as the workflow runs them: the proxy curator's replies, a model's replies
read beside them (``curate.agreement``; the replies here are made up, since only
parsing and counting are timed), the merged scored file written and read back
as JSON Lines, and ``curate`` (threshold, histogram, agreement counts).

    python benchmarks/curation_scores.py [--pairs 502000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from pool_data import alpaca_like

from selfalign.humback.curation import (
    curate,
    proxy_curation_reply,
    scored_pairs,
    with_model_scores,
)
from selfalign.io import read_jsonl, write_jsonl

SETTINGS = {"threshold": 5, "min_instruction_chars": 10, "max_instruction_chars": 800}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=502_000)
    args = parser.parse_args()
    pairs = [
        {"id": f"p{i:06d}", "instruction": r["instruction"], "response": r["output"]}
        for i, r in enumerate(alpaca_like(args.pairs))
    ]
    own = [
        f"Some reasoning.\nScore: {1 + i % 5}" if i % 3 else "no score" for i in range(len(pairs))
    ]
    timings = {}
    start = time.perf_counter()
    replies = [proxy_curation_reply(p["instruction"], p["response"]) for p in pairs]
    timings["proxy replies"] = time.perf_counter() - start
    start = time.perf_counter()
    scored = with_model_scores(scored_pairs(pairs, replies), own)
    timings["scores parsed (proxy and model)"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "curation.jsonl"
        start = time.perf_counter()
        write_jsonl(scored, path)
        merged = read_jsonl(path)
        timings["scored file written and read"] = time.perf_counter() - start
    start = time.perf_counter()
    result = curate(merged, SETTINGS)
    timings["curate (kept, histogram, agreement)"] = time.perf_counter() - start
    print(f"{len(pairs):,} pairs; summary: {result.summary}")
    print("| step | seconds |\n| --- | --- |")
    for step, seconds in timings.items():
        print(f"| {step} | {seconds:.1f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"total {sum(timings.values()):.1f} s, peak memory {peak:.1f} GB")


if __name__ == "__main__":
    main()

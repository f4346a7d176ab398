"""Whitening a pool's embeddings before selection: time and peak memory on a
memory-mapped .npy file, as the select job reads it, and the k-center picks on it.

python benchmarks/whitening.py --n 100000 --d 4096 --components 256
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from selfalign.diverse_evol.selection.kcenter import greedy_kcenter
from selfalign.diverse_evol.whitening import whiten


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=4096)
    parser.add_argument("--components", type=int, default=256)
    parser.add_argument("--picks", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "embeddings.npy"
        out = np.lib.format.open_memmap(path, "w+", np.float32, (args.n, args.d))
        rng = np.random.default_rng(0)
        shared = rng.normal(size=args.d).astype(np.float32) * 20  # a large common component
        for start in range(0, args.n, 50_000):
            rows = min(50_000, args.n - start)
            out[start : start + rows] = rng.normal(size=(rows, args.d)).astype(np.float32) + shared
        out.flush()
        del out
        embeddings = np.load(path, mmap_mode="r")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        start = time.perf_counter()
        whitened = whiten(embeddings, args.components)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        start = time.perf_counter()
        greedy_kcenter(whitened, np.arange(100), np.arange(100, args.n), args.picks)
        pick_seconds = time.perf_counter() - start
    size = args.n * args.d * 4 / 2**30
    print(f"# n={args.n:,}, d={args.d}, {args.components} components; a {size:.1f} GiB file")
    print("| step | seconds | peak RSS (GiB) |")
    print("| --- | ---: | ---: |")
    print(f"| whiten | {seconds:.1f} | {peak:.2f} (before: {before:.2f}) |")
    print(f"| k-center, {args.picks} picks on the whitened rows | {pick_seconds:.1f} | |")


if __name__ == "__main__":
    main()

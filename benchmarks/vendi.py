"""Vendi score: the dual form (d x d) against vendi-score's score_K (n x n).

python benchmarks/vendi.py --n 8000 --d 4096
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from selfalign.diverse_evol.diversity import vendi_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=8000)
    parser.add_argument("--d", type=int, default=4096)
    args = parser.parse_args()
    from vendi_score import vendi

    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.n, args.d)).astype(np.float32) + rng.normal(size=args.d) * 0.5
    start = time.perf_counter()
    ours = vendi_score(x)
    ours_seconds = time.perf_counter() - start
    start = time.perf_counter()
    unit = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = vendi.score_K(unit @ unit.T, q=1)
    theirs_seconds = time.perf_counter() - start
    print(f"# n={args.n}, d={args.d}")
    print("| method | seconds | Vendi score |")
    print("| --- | --- | --- |")
    print(f"| vendi-score score_K (n x n kernel) | {theirs_seconds:.1f} | {theirs:.6f} |")
    print(f"| selfalign dual form (d x d) | {ours_seconds:.1f} | {ours:.6f} |")
    print(
        f"speed-up {theirs_seconds / ours_seconds:.1f}x, relative difference "
        f"{abs(ours - theirs) / theirs:.1e}"
    )


if __name__ == "__main__":
    main()

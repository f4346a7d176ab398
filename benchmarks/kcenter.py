"""Greedy k-center: this project's kernel against a full-matrix method.

The full-matrix method is written in the style of the original DiverseEvol
release: an n x n distance matrix from one matrix product, then a column per
pick. Each method runs in its own process so that peak memory is its own.

    python benchmarks/kcenter.py --n 20000 --d 4096 --data mixture:50
    python benchmarks/kcenter.py --n 20000 --d 4096 --data shifted:50
    python benchmarks/kcenter.py --n 500000 --d 4096 --dtype float16 --methods pruned
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import torch


def make_data(kind: str, n: int, d: int, seed: int, dtype: str) -> torch.Tensor:
    """n x d embeddings, built in chunks so that making them adds no peak of its own."""
    rng = np.random.default_rng(seed)
    out = torch.empty((n, d), dtype=getattr(torch, dtype))
    clustered = kind.startswith(("mixture:", "shifted:"))
    if clustered:
        k = int(kind.split(":")[1])
        centres = rng.normal(size=(k, d)).astype(np.float32) * 3
        labels = rng.integers(k, size=n)
    # shifted: one large vector common to every point, as every mean-pooled LLM state shares
    common = rng.normal(size=d).astype(np.float32) * (40 if kind.startswith("shifted:") else 0)
    for start in range(0, n, 8192):
        end = min(start + 8192, n)
        block = rng.standard_normal((end - start, d), dtype=np.float32) + common
        if clustered:
            block += centres[labels[start:end]]
        out[start:end] = torch.from_numpy(block)
    return out


def mean_cosine(x: torch.Tensor, sample: int = 1000) -> float:
    """Mean cosine similarity between distinct points of the first ``sample``."""
    unit = torch.nn.functional.normalize(x[:sample].double(), dim=1)
    cos = unit @ unit.T
    return float((cos.sum() - cos.diagonal().sum()) / (len(cos) * (len(cos) - 1)))


def load_alpaca(path: str, n: int) -> torch.Tensor:
    return torch.from_numpy(np.load(path)[:n].astype(np.float32))


def full_matrix(x: torch.Tensor, labeled: list[int], candidates: list[int], n: int) -> list[int]:
    """The whole n x n distance matrix, then one column per pick (float32)."""
    x = x.float()
    gram = x @ x.T
    sq = gram.diagonal().clone()
    dist = (sq[:, None] - 2 * gram + sq[None, :]).clamp_min_(0).sqrt_()
    del gram
    nearest = dist[:, labeled].min(1).values
    cand = torch.tensor(candidates)
    mask = torch.zeros(len(x), dtype=torch.bool)
    mask[cand] = True
    picks = []
    for _ in range(n):
        gaps = torch.where(mask, nearest, torch.tensor(-1.0))
        best = int(torch.argmax(gaps))
        picks.append(best)
        mask[best] = False
        nearest = torch.minimum(nearest, dist[:, best])
    return picks


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def reset_peak_memory() -> int:
    """Reset this process's peak resident memory (Linux) and return the current one, KiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kib("VmRSS")


def float64_greedy(x: torch.Tensor, labeled: list[int], candidates: list[int], n: int):
    """Plain greedy in float64, one pass a pick: the exact picks, to check the others by."""
    x = x.double()
    sq = (x * x).sum(1)
    nearest = torch.full((len(x),), float("inf"), dtype=torch.float64)
    for start in range(0, len(labeled), 256):
        centres = x[labeled[start : start + 256]]
        d2 = sq[:, None] - 2 * (x @ centres.T) + (centres * centres).sum(1)
        nearest = torch.minimum(nearest, d2.clamp_min(0).min(1).values)
    eligible = torch.zeros(len(x), dtype=torch.bool)
    eligible[torch.tensor(candidates)] = True
    nearest[~eligible] = -1
    picks = []
    for _ in range(n):
        best = int(torch.argmax(nearest))
        picks.append(best)
        nearest = torch.minimum(nearest, (sq - 2 * (x @ x[best]) + sq[best]).clamp_min(0))
        nearest[best] = -1
    return picks


def run_one(args) -> dict:
    torch.set_num_threads(args.threads)
    if args.data.startswith("alpaca:"):
        x = load_alpaca(args.data.split(":", 1)[1], args.n)
    else:
        x = make_data(args.data, args.n, args.d, args.seed, args.dtype)
    n = len(x)
    order = np.random.default_rng(args.seed).permutation(n)
    labeled, candidates = np.sort(order[: args.labeled]), np.sort(order[args.labeled :])
    cosine = mean_cosine(x)
    base_kib = reset_peak_memory()
    start = time.perf_counter()
    result = {"method": args.method, "n": n, "d": x.shape[1], "dtype": str(x.dtype)[6:]}
    result["mean_cosine"] = cosine
    if args.method == "full-matrix":
        picks = full_matrix(x, labeled.tolist(), candidates.tolist(), args.picks)
    elif args.method == "float64":
        picks = float64_greedy(x, labeled.tolist(), candidates.tolist(), args.picks)
    else:
        from selfalign.diverse_evol.selection.kcenter import KCenterStats, greedy_kcenter

        stats = KCenterStats()
        picks = greedy_kcenter(
            x, labeled, candidates, args.picks, prune=args.method == "pruned", stats=stats
        )
        result.update(rows_read=stats.rows_read, full_passes=stats.full_passes)
    seconds = time.perf_counter() - start
    peak_kib = _status_kib("VmHWM")
    result.update(
        seconds=seconds,
        extra_peak_mib=(peak_kib - base_kib) / 1024,
        data_mib=x.numel() * x.element_size() / 2**20,
        picks=picks,
    )
    return result


def copy_bandwidth(threads: int, mib: int = 1024) -> float:
    """GB/s of reading plus writing a large float32 buffer with torch."""
    torch.set_num_threads(threads)
    src = torch.ones(mib * 2**18)
    dst = torch.empty_like(src)
    dst.copy_(src)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        dst.copy_(src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.numel() * 4 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--d", type=int, default=4096)
    parser.add_argument("--picks", type=int, default=1000)
    parser.add_argument("--labeled", type=int, default=100)
    parser.add_argument(
        "--data",
        default="mixture:50",
        help="mixture:K (Gaussian mixture), shifted:K (the same with a large common vector), "
        "random, or alpaca:FILE.npy",
    )
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument(
        "--methods",
        default="float64,full-matrix,full-pass,pruned",
        help="the first one is the reference the others are compared with",
    )
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:  # a child process: run one method, print JSON
        print(json.dumps(run_one(args)))
        return
    bandwidth = copy_bandwidth(args.threads)
    results = []
    for method in args.methods.split(","):
        command = [sys.executable, __file__, *sys.argv[1:], "--method", method]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    shape = results[0]
    print(
        f"# {args.data}, n={shape['n']}, d={shape['d']}, {shape['dtype']}, {args.labeled} labeled, "
        f"{args.picks} picks, {args.threads} threads; mean cosine {shape['mean_cosine']:.4f}; "
        f"copy bandwidth {bandwidth:.1f} GB/s"
    )
    reference = results[0]["picks"]
    print(
        f"| method | seconds | extra peak MiB | rows read / (picks x n) | read GB/s | "
        f"picks equal to {results[0]['method']}'s |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        if "rows_read" in r:
            per_pick = r["rows_read"] / (args.picks * r["n"])
            element = {"float32": 4, "bfloat16": 2, "float16": 2}[r["dtype"]]
            rate = r["rows_read"] * r["d"] * element / r["seconds"] / 1e9
            read = f"{per_pick:.3f} | {rate:.1f}"
        else:
            read = "- | -"
        differ = [i for i, (a, b) in enumerate(zip(r["picks"], reference, strict=True)) if a != b]
        agreement = "all" if not differ else f"first {differ[0]}, {len(differ)} differ"
        print(
            f"| {r['method']} | {r['seconds']:.2f} | {r['extra_peak_mib']:.0f} | {read} | "
            f"{agreement} |"
        )


if __name__ == "__main__":
    main()

"""Greedy k-center: each pick is the point farthest from everything chosen.

Exact greedy with O(n) extra memory: one vector of squared distances from each
candidate to its nearest chosen point, and the index of that point. Labeled
points are folded in with chunked matrix products; no n x n matrix exists.

Each pick reads at most the embeddings once, and usually far less: a candidate
x whose nearest chosen point a is at distance r cannot get closer to the new
center c when d(c, a) >= 2r (triangle inequality), so only candidates with
d(c, a) < 2r are re-measured. On clustered embeddings that is a small
fraction; on unclustered data the pick falls back to one contiguous pass.

Squared distances come from norms and dot products in float32, clamped at 0.
High-dimensional distances concentrate, so near-ties are common: before each
pick, the few candidates within a relative 1e-4 of the largest gap are
re-measured in float64 against the chosen points that may be their nearest,
so float32 rounding (far below that window) does not decide a pick. Ties go
to the lowest row index.
Storage may be float32, bfloat16 or float16, on the CPU or a GPU; with
``device`` set, a pool in host memory is streamed to that device in chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from selfalign.selection import Query, register

PRUNE_MARGIN = 1e-4  # relative slack so rounding never prunes a point that could move
TIE_WINDOW = 1e-4  # candidates this close to the largest gap are re-measured in float64
FULL_PASS_FRACTION = 0.5  # above this share of candidates, a contiguous pass is cheaper
GATHER_ROWS = 4096  # rows gathered at a time for a re-check


@dataclass
class KCenterStats:
    """What a run of greedy k-center read, for benchmarks."""

    rows_read: int = 0
    full_passes: int = 0
    picks: int = 0


def _chunks(total: int, size: int):
    for start in range(0, total, size):
        yield start, min(start + size, total)


def greedy_kcenter(
    embeddings,
    labeled,
    candidates,
    n: int,
    *,
    device=None,
    chunk_rows: int = 16384,
    prune: bool = True,
    progress: bool = False,
    stats: KCenterStats | None = None,
) -> list[int]:
    """Pick ``n`` of ``candidates`` (row indices of ``embeddings``) by greedy k-center.

    ``embeddings`` is a numpy array or a torch tensor (n_points x d); it is
    read in place, never copied. Returns the picked row indices in pick order;
    ties go to the lowest row index.
    """
    import torch

    x = torch.as_tensor(embeddings)
    device = torch.device(device) if device is not None else x.device
    candidates = torch.as_tensor(np.asarray(candidates), dtype=torch.long)
    labeled = torch.as_tensor(np.asarray(labeled), dtype=torch.long)
    if n > len(candidates):
        raise ValueError(f"cannot pick {n} points from {len(candidates)} candidates")
    stats = stats if stats is not None else KCenterStats()
    points, m = x, len(x)  # every row is measured; non-candidates are masked out

    # rows already float32 where they are used are read in place; others are converted
    # into one reused buffer, so that no pick allocates chunk-sized memory
    in_place = points.dtype == torch.float32 and points.device == device
    buffer = None if in_place else torch.empty((chunk_rows, x.shape[1]), device=device)

    def rows(start: int, end: int):
        stats.rows_read += end - start
        if in_place:
            return points[start:end]
        return buffer[: end - start].copy_(points[start:end], non_blocking=True)

    # gathered rows land in reused buffers too: no pick allocates chunk-sized memory
    gather_rows = min(chunk_rows, GATHER_ROWS)
    gathered = torch.empty((gather_rows, x.shape[1]), dtype=points.dtype, device=points.device)

    def gather(idx):
        stats.rows_read += len(idx)
        picked = torch.index_select(points, 0, idx.to(points.device), out=gathered[: len(idx)])
        return picked if in_place else buffer[: len(idx)].copy_(picked, non_blocking=True)

    sq_norms = torch.empty(m, device=device)
    for start, end in _chunks(m, chunk_rows):
        block = rows(start, end)
        for s, e in _chunks(end - start, GATHER_ROWS):  # small pieces: small temporaries
            sq_norms[start + s : start + e] = torch.einsum("ij,ij->i", block[s:e], block[s:e])
    stats.rows_read -= m  # norms are part of setting up, not of a pass per pick

    # every chosen point, labeled ones first, with its squared norm
    centers = torch.empty((len(labeled) + n, x.shape[1]), device=device)
    centers64 = torch.empty((len(labeled) + n, x.shape[1]), device=device, dtype=torch.float64)
    center_norms = torch.empty(len(labeled) + n, device=device)
    for start, end in _chunks(len(labeled), 1024):
        block = x[labeled[start:end].to(x.device)].to(device=device, dtype=torch.float64)
        centers64[start:end] = block
        centers[start:end] = block.float()
        center_norms[start:end] = torch.einsum("ij,ij->i", block, block).float()
    k = len(labeled)
    nearest = torch.full((m,), float("inf"), device=device)
    owner = torch.full((m,), -1, dtype=torch.long, device=device)  # row of centers
    if k:
        for c_start, c_end in _chunks(k, 1024):
            block_centers, c_norms = centers[c_start:c_end], center_norms[c_start:c_end]
            for start, end in _chunks(m, chunk_rows):
                d2 = sq_norms[start:end, None] - 2 * (rows(start, end) @ block_centers.T) + c_norms
                best, arg = d2.clamp_min_(0).min(1)
                closer = best < nearest[start:end]
                nearest[start:end] = torch.where(closer, best, nearest[start:end])
                owner[start:end] = torch.where(closer, arg + c_start, owner[start:end])
    eligible = torch.zeros(m, dtype=torch.bool, device=device)
    eligible[candidates.to(device)] = True
    nearest[~eligible] = -1.0  # labeled or excluded: never picked, never re-measured

    def exact_argmax() -> int:
        best = int(torch.argmax(nearest))
        if not k:
            return best
        close = (nearest >= nearest[best] * (1 - TIE_WINDOW)).nonzero().squeeze(1)
        if len(close) == 1:
            return best
        # float32 distances to every center single out the few that may be nearest;
        # those alone are measured again in float64
        rows32 = points[close.to(points.device)].to(device=device, dtype=torch.float32)
        d2 = sq_norms[close, None] - 2 * (rows32 @ centers[:k].T) + center_norms[:k]
        near = d2 <= d2.min(1, keepdim=True).values * (1 + 4 * TIE_WINDOW) + 1e-12
        gaps = torch.empty(len(close), dtype=torch.float64, device=device)
        for j in range(len(close)):
            chosen = centers64[:k][near[j]]
            gaps[j] = ((chosen - rows32[j].double()) ** 2).sum(1).min()
        return int(close[int(torch.argmax(gaps))])

    picks: list[int] = []
    for _ in tqdm(range(n), desc="k-center", unit="pick", disable=not progress, mininterval=5):
        best = exact_argmax()
        picks.append(best)
        stats.picks += 1
        c = points[best].to(device=device, dtype=torch.float32)
        c_norm = float((c * c).sum())
        if prune and k:
            to_owner = center_norms[:k] - 2 * (centers[:k] @ c) + c_norm  # d(c, a)^2
            bound = to_owner.clamp_min(0)[owner.clamp_min(0)]
            # d(c, a) < 2r  <=>  d(c, a)^2 < 4 r^2; unassigned points (owner -1) always count
            active = (bound < 4 * nearest * (1 + PRUNE_MARGIN) + 1e-12) | (owner < 0)
            active &= nearest > 0
            todo = active.nonzero().squeeze(1)
        else:
            todo = None
        if todo is None or len(todo) > FULL_PASS_FRACTION * m:
            stats.full_passes += 1
            for start, end in _chunks(m, chunk_rows):
                d2 = (sq_norms[start:end] - 2 * (rows(start, end) @ c) + c_norm).clamp_min_(0)
                closer = d2 < nearest[start:end]
                nearest[start:end] = torch.where(closer, d2, nearest[start:end])
                owner[start:end] = torch.where(closer, k, owner[start:end])
        else:
            for start, end in _chunks(len(todo), gather_rows):
                idx = todo[start:end]
                d2 = (sq_norms[idx] - 2 * (gather(idx) @ c) + c_norm).clamp_min_(0)
                closer = d2 < nearest[idx]
                nearest[idx] = torch.where(closer, d2, nearest[idx])
                owner[idx] = torch.where(closer, k, owner[idx])
        centers[k], centers64[k], center_norms[k] = c, c.double(), c_norm
        k += 1
        nearest[best] = -1.0  # picked: never again
    return picks


@register
class KCenter:
    name = "kcenter"
    needs = "embeddings"

    def select(self, query: Query) -> list[int]:
        return greedy_kcenter(
            query.embeddings, query.labeled, query.unlabeled, query.n_query, progress=True
        )

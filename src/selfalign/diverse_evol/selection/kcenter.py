"""Greedy k-center: each pick is the point farthest from everything chosen.

Exact greedy with O(n) extra memory: one vector of squared distances from each
candidate to its nearest chosen point, and the index of that point. Labeled
points are folded in with chunked matrix products; no n x n matrix exists.

Each pick reads at most the embeddings once, and usually far less: a candidate
x whose nearest chosen point a is at distance r cannot get closer to the new
center c when d(c, a) >= 2r (triangle inequality), so only candidates with
d(c, a) < 2r are re-measured. On clustered embeddings that is a small
fraction; on unclustered data the pick falls back to one contiguous pass.

Squared distances come from norms and dot products in float32, clamped at 0,
of embeddings centred on their mean. Distances do not change under a common
shift, but their rounding does: mean-pooled LLM states share a large common
component, so uncentred norms dwarf the distances between points and float32
rounding of |x|^2 - 2x.c + |c|^2 would exceed the gaps it compares. The mean
is taken once in float64; norms, centers and gathered rows are centred
exactly; a pass over every row reads the rows in place and takes x.c - m.c
(c centred), whose rounding grows with |m| only, unless the mean is more than
SHIFT_LIMIT times the spread: then every row is centred as it is read, into a
small reused buffer (a slower pass). The embeddings are never copied or changed.
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

from selfalign.diverse_evol.selection import Query, register

PRUNE_MARGIN = 1e-4  # relative slack so rounding never prunes a point that could move
TIE_WINDOW = 1e-4  # candidates this close to the largest gap are re-measured in float64
FULL_PASS_FRACTION = 0.5  # above this share of candidates, a contiguous pass is cheaper
SHIFT_LIMIT = 100  # |mean| / spread beyond which full passes centre every row they read
PIECE_BYTES = 1 << 22  # rows are centred in pieces of about 4 MiB, small enough for cache


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
    chunk_rows: int | None = None,
    prune: bool = True,
    progress: bool = False,
    stats: KCenterStats | None = None,
) -> list[int]:
    """Pick ``n`` of ``candidates`` (row indices of ``embeddings``) by greedy k-center.

    ``embeddings`` is a numpy array or a torch tensor (n_points x d); it is
    read in pieces of ``chunk_rows`` rows, never copied whole or changed.
    Returns the picked row indices in pick order; ties go to the lowest row index.
    """
    import torch

    x = torch.as_tensor(embeddings)
    device = torch.device(device) if device is not None else x.device
    candidates = torch.as_tensor(np.asarray(candidates), dtype=torch.long)
    labeled = torch.as_tensor(np.asarray(labeled), dtype=torch.long)
    if n > len(candidates):
        raise ValueError(f"cannot pick {n} points from {len(candidates)} candidates")
    stats = stats if stats is not None else KCenterStats()
    points, m, dim = x, len(x), x.shape[1]  # every row is measured; non-candidates are masked
    chunk_rows = chunk_rows or max(64, PIECE_BYTES // (4 * dim))

    total = torch.zeros(dim, dtype=torch.float64, device=device)
    for start, end in _chunks(m, chunk_rows):
        total += points[start:end].to(device=device, dtype=torch.float64).sum(0)
    mean = (total / max(m, 1)).float()  # the shift; float64 arithmetic for the sum
    mean64 = mean.double()

    # rows are centred into one reused buffer: no pick allocates chunk-sized memory
    buffer = torch.empty((chunk_rows, dim), device=device)
    gathered = torch.empty((chunk_rows, dim), dtype=points.dtype, device=points.device)

    def centred(block):
        out = buffer[: len(block)]
        if block.device == device:
            return torch.sub(block, mean, out=out)
        return out.copy_(block, non_blocking=True).sub_(mean)

    def raw(start: int, end: int):
        """Rows as stored, read in place where they are float32 on the device."""
        stats.rows_read += end - start
        block = points[start:end]
        if block.dtype == torch.float32 and block.device == device:
            return block
        return buffer[: end - start].copy_(block, non_blocking=True)

    def rows(start: int, end: int):
        stats.rows_read += end - start
        return centred(points[start:end])

    def gather(idx):
        stats.rows_read += len(idx)
        picked = gathered[: len(idx)]
        return centred(torch.index_select(points, 0, idx.to(points.device), out=picked))

    def exact(idx):
        """Rows ``idx`` centred in float64: exact differences of the stored values."""
        return points[idx.to(points.device)].to(device=device, dtype=torch.float64) - mean64

    sq_norms, dots = torch.empty(m, device=device), torch.empty(m, device=device)
    for start, end in _chunks(m, chunk_rows):
        block = rows(start, end)
        sq_norms[start:end] = torch.einsum("ij,ij->i", block, block)
    stats.rows_read -= m  # norms are part of setting up, not of a pass per pick
    # a full pass reads rows in place and corrects for the mean afterwards, unless the
    # mean dwarfs the spread so much that the rounding of x.c would reach the tie window
    centre_rows = float(mean64 @ mean64) > SHIFT_LIMIT**2 * float(sq_norms.mean())

    # every chosen point, labeled ones first, with its squared norm
    centers = torch.empty((len(labeled) + n, dim), device=device)
    centers64 = torch.empty((len(labeled) + n, dim), device=device, dtype=torch.float64)
    center_norms = torch.empty(len(labeled) + n, device=device)
    for start, end in _chunks(len(labeled), 1024):
        block = exact(labeled[start:end])
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
        rows64 = exact(close)
        d2 = sq_norms[close, None] - 2 * (rows64.float() @ centers[:k].T) + center_norms[:k]
        near = d2 <= d2.min(1, keepdim=True).values * (1 + 4 * TIE_WINDOW) + 1e-12
        gaps = torch.empty(len(close), dtype=torch.float64, device=device)
        for j in range(len(close)):
            chosen = centers64[:k][near[j]]
            gaps[j] = ((chosen - rows64[j]) ** 2).sum(1).min()
        return int(close[int(torch.argmax(gaps))])

    picks: list[int] = []
    for _ in tqdm(range(n), desc="k-center", unit="pick", disable=not progress, mininterval=5):
        best = exact_argmax()
        picks.append(best)
        stats.picks += 1
        c64 = exact(torch.tensor([best]))[0]
        c = c64.float()
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
            for start, end in _chunks(m, chunk_rows):  # the reads; the rest in whole vectors
                torch.mv(
                    rows(start, end) if centre_rows else raw(start, end), c, out=dots[start:end]
                )
            if not centre_rows:  # x.c' - mean.c' = (x - mean).c'
                dots.sub_(float(mean64 @ c64))
            d2 = dots.mul_(-2).add_(sq_norms).add_(c_norm).clamp_min_(0)
            owner.masked_fill_(d2 < nearest, k)
            torch.minimum(nearest, d2, out=nearest)
        else:
            for start, end in _chunks(len(todo), chunk_rows):
                idx = todo[start:end]
                d2 = (sq_norms[idx] - 2 * (gather(idx) @ c) + c_norm).clamp_min_(0)
                closer = d2 < nearest[idx]
                nearest[idx] = torch.where(closer, d2, nearest[idx])
                owner[idx] = torch.where(closer, k, owner[idx])
        centers[k], centers64[k], center_norms[k] = c, c64, c_norm
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

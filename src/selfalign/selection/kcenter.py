"""Greedy k-center: each pick is the point farthest from everything chosen."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from selfalign.selection import Query, register

CHUNK = 4096


def _squared_distances(points: np.ndarray, sq_norms: np.ndarray, centers: np.ndarray):
    """||p - c||^2 for every point and center, clamped at 0 (no NaN from rounding)."""
    d = sq_norms[:, None] - 2.0 * points @ centers.T + np.einsum("ij,ij->i", centers, centers)
    return np.maximum(d, 0.0)


def greedy_kcenter(
    embeddings: np.ndarray,
    labeled: np.ndarray,
    candidates: np.ndarray,
    n: int,
    progress: bool = False,
) -> list[int]:
    """Pick ``n`` of ``candidates`` (row indices of ``embeddings``) by greedy k-center.

    Keeps one vector of squared distances to the nearest chosen point (O(n)
    memory, no n x n matrix); labeled points are folded in chunk by chunk.
    Ties go to the lowest candidate position.
    """
    if n > len(candidates):
        raise ValueError(f"cannot pick {n} points from {len(candidates)} candidates")
    points = embeddings[candidates].astype(np.float64)
    sq_norms = np.einsum("ij,ij->i", points, points)
    nearest = np.full(len(points), np.inf)
    for start in range(0, len(labeled), CHUNK):
        centers = embeddings[labeled[start : start + CHUNK]].astype(np.float64)
        nearest = np.minimum(nearest, _squared_distances(points, sq_norms, centers).min(1))
    picks = []
    for _ in tqdm(range(n), desc="k-center", unit="pick", disable=not progress, mininterval=5):
        best = int(np.argmax(nearest))
        picks.append(best)
        nearest = np.minimum(
            nearest, _squared_distances(points, sq_norms, points[best : best + 1])[:, 0]
        )
        nearest[best] = -np.inf
    return candidates[picks].tolist()


@register
class KCenter:
    name = "kcenter"
    needs_embeddings = True

    def select(self, query: Query) -> list[int]:
        return greedy_kcenter(
            query.embeddings, query.labeled, query.unlabeled, query.n_query, progress=True
        )

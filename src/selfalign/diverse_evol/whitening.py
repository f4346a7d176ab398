"""Whitening of pool embeddings before selection, as the DiverseEvol release's
``whiten_n_components`` option (BERT-whitening): centre on the mean, rotate
onto the covariance's principal axes scaled to unit variance, keep the first
``n_components`` and scale every row to unit length."""

from __future__ import annotations

import numpy as np

CHUNK_ROWS = 65536  # rows read at a time: memory beyond the output is one chunk in float64


def whiten(embeddings: np.ndarray, n_components: int) -> np.ndarray:
    """``embeddings`` (n x d) whitened to n x ``n_components`` unit rows (float32).

    The covariance is unbiased (n - 1), as ``torch.cov``, accumulated in float64
    a chunk of rows at a time, so a memory-mapped pool of 500,000 rows is never
    copied whole; the SVD's axes come in order of falling variance. An axis's
    sign is arbitrary, which changes no distance between rows.
    """
    n, d = embeddings.shape
    chunks = [slice(start, start + CHUNK_ROWS) for start in range(0, n, CHUNK_ROWS)]
    # sums around a first guess of the mean: embeddings that share a large component
    # (as mean-pooled LLM states do) lose no precision to it
    pilot = np.asarray(embeddings[chunks[0]], dtype=np.float64).mean(axis=0)
    total, gram = np.zeros(d), np.zeros((d, d))
    for rows in chunks:
        x = np.asarray(embeddings[rows], dtype=np.float64) - pilot
        total += x.sum(axis=0)
        gram += x.T @ x
    shift = total / n
    mean = pilot + shift
    covariance = (gram - n * np.outer(shift, shift)) / (n - 1)
    u, s, _ = np.linalg.svd(covariance)
    kernel = u[:, :n_components] / np.sqrt(s[:n_components])
    out = np.empty((n, kernel.shape[1]), dtype=np.float32)
    for rows in chunks:
        y = (np.asarray(embeddings[rows], dtype=np.float64) - mean) @ kernel
        out[rows] = y / np.linalg.norm(y, axis=1, keepdims=True)
    return out

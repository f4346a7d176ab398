"""Whitening of pool embeddings before selection, as the DiverseEvol release's
``whiten_n_components`` option (BERT-whitening): centre on the mean, rotate
onto the covariance's principal axes scaled to unit variance, keep the first
``n_components`` and scale every row to unit length."""

from __future__ import annotations

import numpy as np


def whiten(embeddings: np.ndarray, n_components: int) -> np.ndarray:
    """``embeddings`` (n x d) whitened to n x ``n_components`` unit rows (float32).

    The covariance is unbiased (n - 1), as ``torch.cov``; the SVD's axes come in
    order of falling variance. An axis's sign is arbitrary, which changes no
    distance between rows.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    mean = x.mean(axis=0, keepdims=True)
    u, s, _ = np.linalg.svd(np.cov(x, rowvar=False))
    kernel = u[:, :n_components] / np.sqrt(s[:n_components])
    y = (x - mean) @ kernel
    return (y / np.linalg.norm(y, axis=1, keepdims=True)).astype(np.float32)

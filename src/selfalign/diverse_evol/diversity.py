"""Vendi score (order q = 1) of a set of embeddings under the cosine kernel."""

from __future__ import annotations

import numpy as np


def vendi_score(embeddings: np.ndarray) -> float:
    """exp of the Shannon entropy of the eigenvalues of K / n, K = cosine similarities.

    Rows are L2-normalised, so K = X X^T. When n > d the d x d matrix
    X^T X / n has the same non-zero eigenvalues and is cheaper.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    n = len(x)
    if n == 0:
        raise ValueError("the Vendi score of an empty set is undefined")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("an embedding is all zeros; its cosine similarity is undefined")
    x = x / norms
    gram = x.T @ x if n > x.shape[1] else x @ x.T
    eigenvalues = np.clip(np.linalg.eigvalsh(gram / n), 0.0, None)
    positive = eigenvalues[eigenvalues > 0]
    return float(np.exp(-np.sum(positive * np.log(positive))))

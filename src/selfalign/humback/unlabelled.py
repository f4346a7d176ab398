"""Unlabelled web text: read, filter by length, drop duplicates, sample.

Near duplicates are found with a faiss inner-product index over L2-normalised
hashed character 5-gram counts: cosine similarity of those vectors is high
exactly when two texts share most of their character sequences. The index is
``faiss.IndexFlatIP``; with faiss-gpu installed it runs on the GPU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from selfalign.records import DataError, parse_json_records

HASH_BITS = 11  # 2048 buckets
NGRAM = 5
_FIBONACCI = np.uint64(0x9E3779B97F4A7C15)  # spreads every input bit over the top bits


def read_web_text(path: str | Path) -> list[str]:
    """``content`` fields of JSON Lines (as in falcon-refinedweb), or one text per line."""
    path = Path(path)
    if path.suffix in (".jsonl", ".json"):
        texts = []
        for item in parse_json_records(path):
            content = item.value.get("content") if isinstance(item.value, dict) else None
            if not isinstance(content, str):
                raise DataError(f"{path}:{item.line}: expected an object with a 'content' string")
            texts.append(content)
    else:
        texts = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    if not texts:
        raise DataError(f"{path}: the unlabelled pool is empty")
    return texts


def hashed_ngrams(texts: list[str]) -> np.ndarray:
    """L2-normalised counts of hashed byte 5-grams, one float32 row per text."""
    dim = 1 << HASH_BITS
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.uint64)
        if len(data) < NGRAM:
            data = np.pad(data, (0, NGRAM - len(data)))
        h = np.zeros(len(data) - NGRAM + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(NGRAM):
                h = h * np.uint64(1_000_003) + data[k : len(data) - NGRAM + 1 + k]
            buckets = (h * _FIBONACCI) >> np.uint64(64 - HASH_BITS)
        out[row] = np.bincount(buckets.astype(np.int64), minlength=dim)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def near_duplicates(texts: list[str], threshold: float, k: int = 8) -> set[int]:
    """Indices of texts whose cosine similarity to an earlier kept text reaches ``threshold``."""
    import faiss

    vectors = hashed_ngrams(texts)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    similarity, neighbours = index.search(vectors, min(k, len(texts)))
    dropped: set[int] = set()
    for i in range(len(texts)):
        if i in dropped:
            continue
        for sim, j in zip(similarity[i], neighbours[i], strict=True):
            if j > i and sim >= threshold:
                dropped.add(int(j))
    return dropped


def select_unlabelled(
    texts: list[str],
    *,
    min_chars: int,
    max_chars: int,
    near_duplicate_threshold: float,
    size: int,
    seed: int,
) -> tuple[list[dict], dict]:
    """Filter and sample; return the kept records and counts of what each step removed."""
    counts = {"read": len(texts)}
    kept = [t.strip() for t in texts if min_chars <= len(t.strip()) <= max_chars]
    counts["outside_length_range"] = counts["read"] - len(kept)
    unique = list(dict.fromkeys(kept))
    counts["exact_duplicates"] = len(kept) - len(unique)
    near = near_duplicates(unique, near_duplicate_threshold) if unique else set()
    counts["near_duplicates"] = len(near)
    survivors = [t for i, t in enumerate(unique) if i not in near]
    if not survivors:
        raise DataError("no unlabelled text survives the length and duplicate filters")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(survivors), min(size, len(survivors)), replace=False))
    counts["sampled"] = len(chosen)
    return [{"id": f"web-{i:06d}", "text": survivors[i]} for i in chosen], counts

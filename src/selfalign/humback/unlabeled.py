"""Unlabeled web text: read, filter by length, drop duplicates, sample."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from selfalign.data.records import DataError, parse_json_records
from selfalign.humback.dedup import MinHashSettings, first_exact_copies, near_copy_survivors


def read_web_text(path: str | Path, field: str = "content") -> list[str]:
    """``field`` of every JSON record (``content`` in falcon-refinedweb's JSON Lines), or
    one text per line of any other file."""
    path = Path(path)
    if path.suffix in (".jsonl", ".json"):
        texts = []
        for item in parse_json_records(path):
            content = item.value.get(field) if isinstance(item.value, dict) else None
            if not isinstance(content, str):
                raise DataError(f"{path}:{item.line}: expected an object with a {field!r} string")
            texts.append(content)
    else:
        texts = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    if not texts:
        raise DataError(f"{path}: the unlabeled pool is empty")
    return texts


def select_unlabeled(
    texts: list[str],
    *,
    min_chars: int,
    max_chars: int,
    minhash: MinHashSettings,
    size: int,
    seed: int,
    workdir: str | Path,
    workers: int = 1,
    min_line_chars: int | None = None,
    dedup: bool = True,
) -> tuple[list[dict], dict]:
    """Filter and sample; return the kept records and counts of what each step removed.

    With ``min_line_chars`` a text with a shorter line (an empty one too) is
    dropped, as the unofficial release filters (on the text as read).
    ``workdir`` holds the near-duplicate search's signatures (about 1 KB a text).
    """
    counts = {"read": len(texts)}
    kept = [t for t in texts if min_chars <= len(t.strip()) <= max_chars]
    counts["outside_length_range"] = counts["read"] - len(kept)
    if min_line_chars is not None:
        lined = [t for t in kept if min(map(len, t.split("\n"))) >= min_line_chars]
        counts["short_lines"] = len(kept) - len(lined)
        kept = lined
    kept = [t.strip() for t in kept]
    if not kept:
        raise DataError(
            f"no unlabeled text has {min_chars} to {max_chars} characters"
            + (f" and lines of {min_line_chars} or more" if min_line_chars is not None else "")
            + ": widen 'min_chars'/'max_chars' or check the file"
        )
    survivors = kept
    if dedup:
        unique = [kept[i] for i in first_exact_copies(kept)]
        counts["exact_duplicates"] = len(kept) - len(unique)
        logging.info("%d texts after exact dedup; looking for near copies", len(unique))
        survivors = [unique[i] for i in near_copy_survivors(unique, minhash, workdir, workers)]
        counts["near_duplicates"] = len(unique) - len(survivors)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(survivors), min(size, len(survivors)), replace=False))
    counts["sampled"] = len(chosen)
    return [{"id": f"web-{i:06d}", "text": survivors[i]} for i in chosen], counts

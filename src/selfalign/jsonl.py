"""JSON Lines files written by this workflow."""

from __future__ import annotations

import json
import os

from selfalign.files import atomic_output


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(records, path: str | os.PathLike) -> None:
    """One JSON object per line, atomically."""
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)

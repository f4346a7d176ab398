"""The sidecar of a prepared pool: its record count and the source it was made from.

Planning reads it (a few hundred bytes) to check selection budgets against
the pool's size without opening the pool or importing anything heavy. It
counts only while it describes the source as it is now: a changed file (size
or mtime) or another hub revision makes it stale, and the pool is prepared
(and checked) again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from selfalign.io import atomic_output


def source_stamp(spec: dict) -> dict | None:
    """What identifies a source's content without reading it: a file's or
    folder's size and mtime, or a hub dataset's id, subset, split and revision.
    None for a generated pool (its size is in the config)."""
    if "generate" in spec:
        return None
    keys = ("hub", "subset", "split", "revision", "fields", "first")
    stamp = {k: spec[k] for k in keys if k in spec}
    if "hub" not in spec:
        stat = Path(spec["path"]).stat()
        stamp |= {"path": str(spec["path"]), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    return stamp


def write_meta(spec: dict, n_records: int, columns: list[str], path: str | os.PathLike) -> None:
    meta = {"records": n_records, "columns": columns, "source": source_stamp(spec)}
    with atomic_output(path) as tmp:
        Path(tmp).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def size_from_meta(spec: dict, path: str | os.PathLike) -> int | None:
    """The record count of a prepared pool whose sidecar matches its source
    as it is now; None where there is none yet or it is stale."""
    path = Path(path)
    if not path.is_file():
        return None
    meta = json.loads(path.read_text(encoding="utf-8"))
    try:
        current = source_stamp(spec)
    except OSError:  # the source is gone; preparing the pool will say so
        return None
    return meta["records"] if meta.get("source") == current else None

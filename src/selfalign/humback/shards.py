"""Contiguous shards of a list, and their merge back into one list in order."""

from __future__ import annotations


def shard(items: list, index: int, count: int) -> list:
    """Shard ``index`` of ``count``: a contiguous slice; all shards cover ``items`` once."""
    if not 0 <= index < count:
        raise ValueError(f"shard {index} does not exist among {count}")
    return items[index * len(items) // count : (index + 1) * len(items) // count]


def merge(shards: list[list[dict]]) -> list[dict]:
    """Concatenate shards in order; an id seen twice means shards overlap."""
    merged = [record for part in shards for record in part]
    ids = [r["id"] for r in merged]
    if len(set(ids)) != len(ids):
        raise ValueError("shards overlap: an id appears in more than one shard")
    return merged

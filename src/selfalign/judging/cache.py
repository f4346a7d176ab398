"""A persistent cache of judge replies, so no paid call is ever made twice."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from selfalign.judging import JUDGE_TEMPLATE

TEMPLATE_HASH = hashlib.sha256(JUDGE_TEMPLATE.encode()).hexdigest()[:16]


def reply_key(
    endpoint: str, model: str, question: str, answer_1: str, answer_2: str, **decoding
) -> str:
    """Key by endpoint and judge model (two servers may serve different models under
    one name), template, the exact texts and the decoding settings."""
    parts = [endpoint, model, TEMPLATE_HASH, question, answer_1, answer_2]
    parts.append(sorted(decoding.items()))
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


class ReplyCache:
    """SQLite, one row per reply, committed as each reply arrives.

    Several judge jobs may share one file; SQLite's locking serialises writes.
    """

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=120)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, model TEXT, reply TEXT,"
            " created REAL)"
        )
        self._db.commit()

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, model: str, reply: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?)", (key, model, reply, time.time())
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()

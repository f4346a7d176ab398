"""A persistent cache of judge replies, shared by every job and process, so that no
prompt is sent twice while another is waiting on it, and no verdict is paid twice.

One row per prompt (its key). A job *claims* the prompts it is about to send:
a row with its owner and a lease. Other jobs skip a prompt under a live lease
and wait for its reply; a lease that runs out (its owner died) can be claimed
again. A reply that parses is final. One that does not is kept for the record
but asked again by later jobs, up to ``max_attempts`` replies in all.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path


def reply_key(endpoint: str, model: str, texts: list[str], **decoding) -> str:
    """Key by endpoint and judge model (two servers may serve different models under
    one name), the prompt's texts (a template's hash, the question, the answers)
    and the decoding settings."""
    parts = [endpoint, model, *texts, sorted(decoding.items())]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Claim:
    """What a claim found: final replies, prompts this owner must send, prompts
    another owner is sending now."""

    ready: dict[str, str]
    mine: list[str]
    waiting: list[str]


class ReplyCache:
    """SQLite, committed as each reply arrives; claims are taken in one write
    transaction, so two processes never claim the same prompt."""

    def __init__(self, path: str | Path, owner: str, max_attempts: int = 3):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.owner, self.max_attempts = owner, max_attempts
        self._db = sqlite3.connect(str(path), timeout=120, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, model TEXT, reply TEXT,"
            " parsed INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
            " owner TEXT, lease_until REAL NOT NULL DEFAULT 0, updated REAL)"
        )

    def claim(self, keys: list[str], model: str, lease_seconds: float) -> Claim:
        now, claim = time.time(), Claim({}, [], [])
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for key in dict.fromkeys(keys):
                row = self._db.execute(
                    "SELECT reply, parsed, attempts, owner, lease_until FROM verdicts"
                    " WHERE key = ?",
                    (key,),
                ).fetchone()
                if row is not None:
                    reply, parsed, attempts, owner, lease_until = row
                    if self._is_final(parsed, attempts):
                        claim.ready[key] = reply
                        continue
                    if owner not in (None, self.owner) and lease_until > now:
                        claim.waiting.append(key)
                        continue
                self._db.execute(
                    "INSERT INTO verdicts (key, model, owner, lease_until, updated)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
                    " owner = excluded.owner, lease_until = excluded.lease_until",
                    (key, model, self.owner, now + lease_seconds, now),
                )
                claim.mine.append(key)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return claim

    def put(self, key: str, reply: str, parsed: bool) -> None:
        """Keep a reply and give up the claim; one more attempt is counted."""
        self._db.execute(
            "UPDATE verdicts SET reply = ?, parsed = ?, attempts = attempts + 1, owner = NULL,"
            " lease_until = 0, updated = ? WHERE key = ?",
            (reply, int(parsed), time.time(), key),
        )

    def release(self, keys: list[str]) -> None:
        """Give up claims without a reply (the call failed): another job may send them."""
        self._db.executemany(
            "UPDATE verdicts SET owner = NULL, lease_until = 0 WHERE key = ? AND owner = ?",
            [(key, self.owner) for key in keys],
        )

    def final(self, keys: list[str]) -> set[str]:
        """The keys whose reply is final (read only: nothing is claimed)."""
        done = set()
        for key in dict.fromkeys(keys):
            row = self._db.execute(
                "SELECT parsed, attempts FROM verdicts WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and self._is_final(*row):
                done.add(key)
        return done

    def _is_final(self, parsed: int, attempts: int) -> bool:
        """A reply that parsed, or the last one asked for."""
        return bool(parsed) or attempts >= self.max_attempts

    def close(self) -> None:
        self._db.close()

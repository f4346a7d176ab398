"""One config at a time in a results folder.

Snakemake locks output files, not configs: two runs with different configs in
one folder would both write results/ (judge caches, pools, plots). A running
workflow therefore writes a claim, ``results/.running.json`` (its process,
host and a digest of its config); planning a run with another config in the
same folder while that process lives is refused. The same config may run
twice (Snakemake's own locks keep its jobs apart).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path

CLAIM = Path("results/.running.json")


def config_digest(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def _alive(claim: dict) -> bool:
    """Whether the claiming process still runs; one on another host counts as running."""
    if claim.get("host") != socket.gethostname():
        return True
    try:
        os.kill(claim["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def conflicting_run(config: dict, path: Path = CLAIM) -> str | None:
    """Why this config must not run here now, or None."""
    if not path.is_file():
        return None
    claim = json.loads(path.read_text())
    if claim["config"] == config_digest(config) or not _alive(claim):
        return None
    return (
        f"{path.parent}/ is in use by another snakemake run with a different config "
        f"(process {claim['pid']} on {claim['host']}, started {claim['started']}, config files "
        f"{claim['configfiles']}); wait for it to end, or run this config in another folder "
        f"(--directory DIR). --nolock overrides this check."
    )


def claim(config: dict, configfiles: list[str], path: Path = CLAIM) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "config": config_digest(config),
        "configfiles": [str(f) for f in configfiles],
    }
    path.write_text(json.dumps(record, indent=1) + "\n")


def release(path: Path = CLAIM) -> None:
    """Remove this process's claim (another run's stays)."""
    if path.is_file() and json.loads(path.read_text())["pid"] == os.getpid():
        path.unlink()

"""Cards for a job on one machine: GPU jobs never share one.

Snakemake's ``gpu`` resource caps how many cards run jobs hold at once; this
picks which: a job locks that many free cards (a file lock per card, released
when the process ends, even on SIGKILL) and sets CUDA_VISIBLE_DEVICES to them.
Under SLURM, or where CUDA_VISIBLE_DEVICES is already set, the job keeps what
it was given.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "selfalign-gpus"
_held: list = []  # open lock files: the locks last as long as this process


def machine_gpus() -> list[str]:
    """Indices of this machine's NVIDIA cards, read without initialising CUDA."""
    found = Path("/proc/driver/nvidia/gpus")
    return [str(i) for i in range(len(list(found.iterdir())))] if found.is_dir() else []


def claim_gpus(count: int, *, cards: list[str] | None = None, lock_dir: Path = LOCK_DIR):
    """Lock ``count`` free cards and make them this process's CUDA_VISIBLE_DEVICES."""
    if count <= 0:
        return []
    if "SLURM_JOB_ID" in os.environ or "CUDA_VISIBLE_DEVICES" in os.environ:
        return [c for c in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if c]
    cards = machine_gpus() if cards is None else cards
    if not cards:
        return []  # a CPU machine: the job runs on the CPU
    lock_dir.mkdir(parents=True, exist_ok=True)
    claimed, handles = [], []
    for card in cards:
        handle = open(lock_dir / f"gpu{card}.lock", "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        handles.append(handle)
        claimed.append(card)
        if len(claimed) == count:
            _held.extend(handles)
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(claimed)
            return claimed
    for handle in handles:
        handle.close()
    raise RuntimeError(
        f"this job needs {count} GPUs but only {len(claimed)} of {len(cards)} are free; "
        "set `resources: gpu:` in profiles/default/config.yaml to the number of cards "
        "this workflow may use, and make sure no other run holds them"
    )

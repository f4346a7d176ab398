"""Cards for a job on one machine: GPU jobs never share one.

Each GPU job locks as many free GPUs as its ``gpu`` resource asks (a file lock
per GPU, released when the process ends, even on SIGKILL), waiting while other
jobs hold them, and sets CUDA_VISIBLE_DEVICES to them. Snakemake is given no
global ``gpu`` limit, which would also cap a cluster profile's jobs. Under SLURM,
or where CUDA_VISIBLE_DEVICES is already set, the job keeps what it was given.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "selfalign-gpus"
_held: list = []  # open lock files: the locks last as long as this process
log = logging.getLogger(__name__)


def machine_gpus() -> list[str]:
    """Indices of this machine's NVIDIA GPUs, read without initialising CUDA."""
    found = Path("/proc/driver/nvidia/gpus")
    return [str(i) for i in range(len(list(found.iterdir())))] if found.is_dir() else []


def _try_claim(count: int, gpus: list[str], lock_dir: Path) -> list | None:
    """Lock ``count`` free GPUs, or none (and release what was locked)."""
    claimed = []
    for gpu in gpus:
        handle = open(lock_dir / f"gpu{gpu}.lock", "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        claimed.append((gpu, handle))
        if len(claimed) == count:
            return claimed
    for _, handle in claimed:
        handle.close()
    return None


def claim_gpus(
    count: int,
    *,
    gpus: list[str] | None = None,
    lock_dir: Path = LOCK_DIR,
    poll_seconds: float = 5.0,
) -> list[str]:
    """Lock ``count`` free GPUs, waiting for them, and make them CUDA_VISIBLE_DEVICES.

    All or nothing at each try, so two jobs waiting for GPUs never hold part each.
    """
    if count <= 0:
        return []
    if "SLURM_JOB_ID" in os.environ or "CUDA_VISIBLE_DEVICES" in os.environ:
        return [c for c in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if c]
    gpus = machine_gpus() if gpus is None else gpus
    if not gpus:
        return []  # a CPU machine: the job runs on the CPU
    if count > len(gpus):
        raise RuntimeError(
            f"this job needs {count} GPUs and this machine has {len(gpus)}: give its rule "
            f"at most {len(gpus)} (--set-resources RULE:gpu=N, or a profile's set-resources)"
        )
    lock_dir.mkdir(parents=True, exist_ok=True)
    waiting_since = None
    while (claimed := _try_claim(count, gpus, lock_dir)) is None:
        if waiting_since is None:
            waiting_since = time.monotonic()
            log.info("waiting for %d of %d GPUs: other jobs hold them", count, len(gpus))
        time.sleep(poll_seconds)
    if waiting_since is not None:
        log.info("got GPUs after %.0f s", time.monotonic() - waiting_since)
    _held.extend(handle for _, handle in claimed)
    os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(gpu for gpu, _ in claimed)
    return [gpu for gpu, _ in claimed]

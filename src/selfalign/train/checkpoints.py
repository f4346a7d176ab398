"""Checkpoints that let a fine-tune outlive its job: a SLURM time limit, a
cancelled or killed job resumes from the newest one on the retry or rerun.

They live outside the job's output, which Snakemake removes when a job fails:
``results/{run}/checkpoints/{model}/`` beside the folder that holds the model
(``output/rd_2`` has ``checkpoints/rd_2``, ``humback/backward`` has
``checkpoints/backward``), and are removed once the model is complete. A
fingerprint of what is trained (base model, records, settings, processes)
keeps a rerun with other settings from resuming a run that no longer applies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from pathlib import Path

from selfalign.io import is_main_process

log = logging.getLogger(__name__)
DEFAULT_MINUTES = 30  # at most this much training lost to a time limit; a 7B save takes minutes
FINGERPRINT = "fingerprint.txt"
COMPLETE = "trainer_state.json"  # the Trainer writes it last into a checkpoint
# training keys that watch a fine-tune without changing it: not in its fingerprint
OBSERVING = ("report_to", "run_name", "logging_steps")


def checkpoint_folder(model_dir: str | os.PathLike) -> Path:
    """``results/{run}/checkpoints/{name}`` for the model folder ``results/{run}/*/{name}``."""
    model_dir = Path(model_dir)
    return model_dir.parent.parent / "checkpoints" / model_dir.name


def fingerprint(settings: dict, records: list[dict]) -> str:
    """A digest of the fine-tune's settings and every record, in order."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def resume_point(folder: Path, expected: str) -> str | None:
    """The newest complete checkpoint in ``folder`` of a fine-tune with this
    fingerprint, or None. Checkpoints of other settings are removed (rank 0)."""
    marker = folder / FINGERPRINT
    stored = marker.read_text().strip() if marker.is_file() else None
    if stored != expected:
        if is_main_process():
            if stored is not None:
                log.warning(
                    "%s: checkpoints of other settings, removed; training from step 0", folder
                )
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            marker.write_text(expected + "\n")
        return None
    complete = [
        path
        for path in folder.glob("checkpoint-*")
        if path.name.removeprefix("checkpoint-").isdigit() and (path / COMPLETE).is_file()
    ]
    if not complete:
        return None
    newest = max(complete, key=lambda path: int(path.name.removeprefix("checkpoint-")))
    return str(newest)


def remove(folder: Path) -> None:
    """The checkpoints of a fine-tune whose model is complete (rank 0)."""
    if is_main_process():
        shutil.rmtree(folder, ignore_errors=True)


def save_every(minutes: float):
    """A ``TrainerCallback`` that saves a checkpoint once ``minutes`` have passed
    since the start or the last save. Rank 0's clock decides for every rank:
    a DeepSpeed save is collective."""
    import torch.distributed as dist
    from transformers import TrainerCallback

    class SaveEvery(TrainerCallback):
        def __init__(self):
            self.last = time.monotonic()

        def on_step_end(self, args, state, control, **kwargs):
            due = [time.monotonic() - self.last >= minutes * 60]
            if dist.is_available() and dist.is_initialized():
                dist.broadcast_object_list(due, src=0)
            if due[0] and state.global_step < state.max_steps:  # the end saves the model
                control.should_save = True
            return control

        def on_save(self, args, state, control, **kwargs):
            self.last = time.monotonic()

    return SaveEvery()

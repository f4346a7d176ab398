"""A fine-tune killed mid-way resumes from its newest checkpoint (selfalign.train.checkpoints)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from selfalign.models.loading import load_causal_lm
from selfalign.train.checkpoints import COMPLETE, checkpoint_folder, fingerprint, resume_point
from selfalign.train.finetune import finetune

TRAINING = {
    "num_train_epochs": 2,
    "per_device_train_batch_size": 2,
    "learning_rate": 1e-3,
    "checkpoint_minutes": 0,  # a checkpoint after every step
}


def spec(tiny_model_dir, out_dir, records_path) -> dict:
    return {
        "base_model": str(tiny_model_dir),
        "records": str(records_path),
        "out_dir": str(out_dir),
        "checkpoints": str(checkpoint_folder(out_dir)),
        "training": TRAINING,
        "max_length": 96,
        "seed": 1,
    }


@pytest.mark.slow
def test_a_killed_fine_tune_resumes_from_its_checkpoint_to_the_same_weights(
    tiny_model_dir, demo_records, tmp_path, caplog
):
    records = demo_records[:40]  # 40 steps
    records_path = tmp_path / "records.json"
    records_path.write_text(json.dumps(records))
    whole = spec(tiny_model_dir, tmp_path / "a/results/r/output/rd_1", records_path)
    finetune(**whole | {"records": records})
    assert not checkpoint_folder(whole["out_dir"]).exists()  # removed once complete

    killed = spec(tiny_model_dir, tmp_path / "b/results/r/output/rd_1", records_path)
    folder = checkpoint_folder(killed["out_dir"])
    assert folder == tmp_path / "b/results/r/checkpoints/rd_1"
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(killed))
    process = subprocess.Popen(
        [sys.executable, "-m", "selfalign.train", str(spec_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"CUDA_VISIBLE_DEVICES": ""},
    )
    deadline = time.monotonic() + 300
    while not (folder / "checkpoint-3" / COMPLETE).exists() and time.monotonic() < deadline:
        assert process.poll() is None, "the fine-tune ended before its third checkpoint"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not os.path.exists(killed["out_dir"])
    steps = [
        int(p.name.split("-")[1]) for p in folder.glob("checkpoint-*") if (p / COMPLETE).is_file()
    ]
    newest = max(steps)
    assert 3 <= newest < 40

    with caplog.at_level(logging.INFO, logger="selfalign.train.finetune"):
        finetune(**killed | {"records": records})
    assert f"resuming from {folder / f'checkpoint-{newest}'}" in caplog.text
    assert not folder.exists()
    a, b = (load_causal_lm(s["out_dir"]).state_dict() for s in (whole, killed))
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=0, msg=name)


def test_only_a_complete_checkpoint_of_the_same_fine_tune_is_resumed(tmp_path):
    folder = tmp_path / "checkpoints/rd_1"
    ours = fingerprint({"lr": 1e-3}, [{"instruction": "a", "output": "b"}])
    assert resume_point(folder, ours) is None  # nothing yet: the folder is made, marked
    for step, complete in ((2, True), (4, True), (6, False)):  # 6: killed while saving
        (folder / f"checkpoint-{step}").mkdir()
        if complete:
            (folder / f"checkpoint-{step}" / COMPLETE).write_text("{}")
    assert resume_point(folder, ours) == str(folder / "checkpoint-4")

    other = fingerprint({"lr": 2e-3}, [{"instruction": "a", "output": "b"}])
    assert other != ours
    assert resume_point(folder, other) is None
    assert not list(folder.glob("checkpoint-*"))  # another fine-tune's: removed

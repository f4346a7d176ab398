"""Full fine-tune against LoRA, per round: training time and disk.

Trains the demo's base model (``config/config.yaml``: shape and training
settings) on a DiverseEvol round's records of the demo pool, once in full and
once with LoRA (``training.peft``), merged and as an adapter alone, and
reports wall time and the folder each leaves.

    python benchmarks/lora_rounds.py --records 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import yaml
from demo_model import CONFIG, demo_model_settings

from selfalign.data.demo import generate_demo_records
from selfalign.train.finetune import finetune
from selfalign.train.tiny_model import build_tiny_model

LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": "all-linear"}


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200, help="a late round's labeled set")
    args = parser.parse_args()
    torch.set_num_threads(2)
    settings = yaml.safe_load(CONFIG.read_text())["diverse_evol"]
    records = generate_demo_records(600, seed=0)
    modes = {
        "full": settings["training"],
        "LoRA, merged": {**settings["training"], "peft": {**LORA, "merge": True}},
        "LoRA, adapter only": {**settings["training"], "peft": {**LORA, "merge": False}},
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        build_tiny_model(records, base, **demo_model_settings())
        print(f"base model folder: {folder_bytes(base) / 1e6:.2f} MB")
        print("| training | s per round | folder per round |")
        print("| --- | --- | --- |")
        for name, training in modes.items():
            out = Path(tmp) / name.replace(" ", "_").replace(",", "")
            start = time.perf_counter()
            finetune(
                str(base),
                records[: args.records],
                out,
                training=training,
                max_length=settings["max_length"],
                seed=settings["seed"],
            )
            seconds = time.perf_counter() - start
            print(f"| {name} | {seconds:.2f} | {folder_bytes(out) / 1e6:.3f} MB |", flush=True)


if __name__ == "__main__":
    main()

"""Packing against padding: SFTTrainer's training tokens per second.

Records are Alpaca's (``../shared/data/alpaca_5000.json``) stretched to
Dolly's spread of lengths: a third get a context paragraph (``input``) made of
other records' responses, and responses run to one to four Alpaca responses.
Each mode trains one epoch on the same examples with about the same number of
real tokens per step; "real" tokens exclude padding.

    python benchmarks/packing.py --records 800
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time

import torch
from pool_data import alpaca_like

from selfalign.models.loading import load_causal_lm, load_tokenizer
from selfalign.train.finetune import sft_config, sft_trainer, training_examples
from selfalign.train.tiny_model import build_tiny_model

MODEL = {  # about 9M parameters: big enough that compute, not Python, sets the pace
    "vocab_size": 4096,
    "hidden_size": 256,
    "intermediate_size": 688,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "max_position_embeddings": 1024,
    "seed": 0,
}


def dolly_like(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    source = alpaca_like(4 * n, seed)
    records = []
    for i in range(n):
        record = dict(source[i])
        others = rng.sample(source, 5)
        record["output"] = " ".join(
            [record["output"], *(o["output"] for o in others[: rng.choice([0, 0, 1, 2, 3])])]
        )
        if rng.random() < 1 / 3:
            record["input"] = " ".join(o["output"] for o in others[3:])
        records.append(record)
    return records


def train_once(folder, examples, max_length, mode, batch):
    tokenizer = load_tokenizer(folder)
    settings = {
        "num_train_epochs": 1,
        "learning_rate": 1e-4,
        "per_device_train_batch_size": batch,
        "disable_tqdm": True,
        "logging_steps": 10_000,
        "packing": mode == "packed",
        "train_sampling_strategy": "group_by_length" if mode == "grouped" else "random",
    }
    with tempfile.TemporaryDirectory() as out:
        args = sft_config(settings, out, seed=0, max_length=max_length)
        trainer = sft_trainer(load_causal_lm(folder), tokenizer, examples, args, peft=None)
        processed = sum(b["input_ids"].numel() for b in trainer.get_train_dataloader())
        start = time.perf_counter()
        result = trainer.train()
        seconds = time.perf_counter() - start
    return {
        "steps": trainer.state.global_step,
        "processed": processed,
        "seconds": seconds,
        "loss": result.training_loss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=800)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=16, help="examples a padded step")
    args = parser.parse_args()
    torch.set_num_threads(2)
    records = dolly_like(args.records)
    with tempfile.TemporaryDirectory() as folder:
        build_tiny_model(records, folder, **MODEL)
        tokenizer = load_tokenizer(folder)
        examples = training_examples(tokenizer, records, args.max_length, "alpaca")
        lengths = sorted(len(e["input_ids"]) for e in examples)
        real = sum(lengths)
        median, p90 = lengths[len(lengths) // 2], lengths[int(0.9 * len(lengths))]
        print(
            f"{len(examples)} examples, {real:,} tokens; length median {median},"
            f" 90th percentile {p90}, max {lengths[-1]}"
        )
        rows = max(1, round(args.batch_size * real / len(lengths) / args.max_length))
        print("| mode | batch | steps | tokens computed | real share | s | real tokens/s | loss |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for mode, batch in (
            ("padded", args.batch_size),
            ("grouped", args.batch_size),
            ("packed", rows),
        ):
            r = train_once(folder, examples, args.max_length, mode, batch)
            print(
                f"| {mode} | {batch} | {r['steps']} | {r['processed']:,} | "
                f"{real / r['processed']:.0%} | {r['seconds']:.1f} | {real / r['seconds']:,.0f} | "
                f"{r['loss']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

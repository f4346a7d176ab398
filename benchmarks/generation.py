"""transformers backend: batched, left-padded generation against one prompt at a time.

python benchmarks/generation.py --prompts 200 --new-tokens 64
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from demo_model import build_lively_demo_model

from selfalign.data.demo import generate_demo_records
from selfalign.generate import Sampling
from selfalign.generate.transformers_backend import generate_with
from selfalign.models.loading import load_causal_lm, load_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    records = generate_demo_records(600 + args.prompts, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        build_lively_demo_model(records[:600], folder)
        model = load_causal_lm(folder)
        model.eval()
        prompts = records[600:]
        tokenizer = load_tokenizer(folder)
        sampling = Sampling(max_new_tokens=args.new_tokens, temperature=0.0)
        start = time.perf_counter()
        batched = generate_with(
            model, tokenizer, prompts, sampling, batch_size=args.batch_size, progress=False
        )
        batched_seconds = time.perf_counter() - start
        start = time.perf_counter()
        alone = [
            generate_with(model, tokenizer, [p], sampling, batch_size=1, progress=False)[0]
            for p in prompts
        ]
        alone_seconds = time.perf_counter() - start
    same = sum(a == b for a, b in zip(batched, alone, strict=True))
    print(
        f"# {args.prompts} prompts x {args.new_tokens} new tokens, greedy, demo-size model, "
        f"{torch.get_num_threads()} threads"
    )
    print("| method | seconds | speed-up | same greedy output |")
    print("| --- | --- | --- | --- |")
    print(f"| one prompt at a time | {alone_seconds:.1f} | 1.0x | - |")
    print(
        f"| batched (batch {args.batch_size}), left-padded, length-sorted | "
        f"{batched_seconds:.1f} | {alone_seconds / batched_seconds:.1f}x | "
        f"{same} of {args.prompts} |"
    )


if __name__ == "__main__":
    main()

"""Self-curation in shards: 5,000 (instruction, answer) pairs from
``../shared/data/alpaca_5000.json`` scored by the demo-size model through the
transformers backend, in one shard and in four, each shard with its own model
load as its job would; the four are merged in order and compared reply by
reply. Also: how much of each prompt is the shared rubric, the prefix that
vLLM's prefix caching prefills once per shard.

    python benchmarks/curation.py [--pairs 5000] [--shards 4] [--new-tokens 16]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch
from demo_model import build_lively_demo_model
from pool_data import ALPACA

from selfalign.humback import SEED_TAG
from selfalign.humback.curation import (
    Curator,
    curate,
    curation_prompt,
    curation_replies,
    scored_pairs,
)
from selfalign.humback.shards import merge, shard
from selfalign.models.encoding import prompt_ids
from selfalign.models.loading import load_tokenizer

SETTINGS = {"scorer": "model", "threshold": 5, "min_instruction_chars": 10,
            "max_instruction_chars": 800, "temperature": 0.0}  # fmt: skip
GENERATION = {"backend": "transformers", "batch_size": 16, "dtype": "float32", "seed": 0}


def rubric_share(folder: str, pairs: list[dict]) -> tuple[int, float]:
    """Tokens every prompt shares at its head (the longest common prefix of their
    token ids), and that head's mean share of a prompt."""
    tokenizer = load_tokenizer(folder)
    prompts = [
        prompt_ids(tokenizer, {"instruction": curation_prompt(p["instruction"], p["response"]),
                               "system": SEED_TAG})
        for p in pairs
    ]  # fmt: skip
    shared = min(
        next((i for i, (a, b) in enumerate(zip(prompts[0], ids, strict=False)) if a != b), len(ids))
        for ids in prompts[1:]
    )
    return shared, sum(shared / len(ids) for ids in prompts) / len(prompts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--new-tokens", type=int, default=16)
    args = parser.parse_args()
    source = json.loads(ALPACA.read_text())[: args.pairs]
    pairs = [
        {"id": f"p{i:05d}", "instruction": r["instruction"], "response": r["output"]}
        for i, r in enumerate(source)
    ]
    settings = {**SETTINGS, "max_new_tokens": args.new_tokens}
    with tempfile.TemporaryDirectory() as folder:
        corpus = [{"instruction": p["instruction"], "input": "", "output": p["response"]}
                  for p in pairs[:600]]  # fmt: skip
        build_lively_demo_model(corpus, folder, max_positions=4096)
        start = time.perf_counter()
        whole = scored_pairs(pairs, curation_replies(pairs, settings, Curator(GENERATION, folder)))
        whole_s = time.perf_counter() - start
        start, parts = time.perf_counter(), []
        for i in range(args.shards):
            part = shard(pairs, i, args.shards)
            parts.append(
                scored_pairs(part, curation_replies(part, settings, Curator(GENERATION, folder)))
            )
        sharded_s = time.perf_counter() - start
        merged = merge(parts)
        shared, share = rubric_share(folder, pairs)
    same = sum(a == b for a, b in zip(whole, merged, strict=True))
    print(f"# {args.pairs:,} pairs, greedy, {args.new_tokens} new tokens, demo-size model, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print("| run | seconds | replies and scores equal to one shard's | merged in pair order |")
    print("| --- | --- | --- | --- |")
    print(f"| 1 shard | {whole_s:.0f} | - | - |")
    print(f"| {args.shards} shards, merged | {sharded_s:.0f} | {same:,} of {len(pairs):,} | "
          f"{[p['id'] for p in merged] == [p['id'] for p in pairs]} |")  # fmt: skip
    print(f"\nscore counts, 1 shard: {curate(whole, settings).summary}")
    print(f"score counts, {args.shards} shards: {curate(merged, settings).summary}")
    print(f"{len({p['reply'] for p in whole}):,} distinct replies; a random-weight model "
          "writes no 'Score: N' line, so the replies are what the comparison tests")  # fmt: skip
    print(f"\nshared prompt head (template and rubric): {shared} tokens of the demo tokenizer, "
          f"{share:.0%} of a prompt on average")  # fmt: skip


if __name__ == "__main__":
    main()

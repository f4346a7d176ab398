"""vLLM's CPU build against the transformers backend on this machine: the same
model (the demo's shape with head_dim 64, which vLLM's CPU attention takes), the
same prompts, exactly ``--new-tokens`` tokens each (EOS ignored). Start-up is the
model load (transformers) or the engine's construction (vLLM); tokens/s counts
generated tokens over the generation call alone.

Answers: Alpaca instructions in the Alpaca prompt. Curation: Humback's rubric
around (instruction, answer) pairs, the prompts sharing their first ~870 tokens,
with vLLM's prefix caching on and off.

    .venv-vllm/bin/python benchmarks/vllm_cpu.py [--prompts 200] [--new-tokens 64]

``--model FOLDER`` measures a model folder instead (SmolLM2, as config/smollm2.yaml
converts it), prompted in its chat template.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from demo_model import build_lively_demo_model
from pool_data import ALPACA

from selfalign.humback import SEED_TAG
from selfalign.humback.curation import curation_prompt

ENGINE = {"kv_cache_memory_bytes": 2 * 2**30, "enforce_eager": True}


def transformers_run(folder: str, prompts: list[list[int]], new_tokens: int) -> dict:
    import torch

    from selfalign.models.encoding import length_sorted_batches
    from selfalign.models.loading import load_causal_lm, load_tokenizer

    start = time.perf_counter()
    tokenizer = load_tokenizer(folder)
    model = load_causal_lm(folder, "float32").eval()
    loaded = time.perf_counter()
    with torch.inference_mode():
        for batch in length_sorted_batches([len(p) for p in prompts], 16):
            rows = [prompts[i] for i in batch]
            width = max(len(r) for r in rows)
            ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(r)) + r for r in rows])
            mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
            model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
    done = time.perf_counter()
    return {"start_s": loaded - start, "generate_s": done - loaded}


def vllm_run(folder: str, prompts: list[list[int]], new_tokens: int, prefix_caching: bool):
    from vllm import LLM, SamplingParams

    start = time.perf_counter()
    llm = LLM(model=folder, dtype="float32", enable_prefix_caching=prefix_caching, **ENGINE)
    loaded = time.perf_counter()
    params = SamplingParams(temperature=0, max_tokens=new_tokens, ignore_eos=True, detokenize=False)
    outputs = llm.generate([{"prompt_token_ids": p} for p in prompts], params, use_tqdm=False)
    done = time.perf_counter()
    assert all(len(o.outputs[0].token_ids) == new_tokens for o in outputs)
    del llm
    return {"start_s": loaded - start, "generate_s": done - loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--model", help="a model folder, prompted in its chat template")
    args = parser.parse_args()

    from selfalign.models.encoding import prompt_ids
    from selfalign.models.loading import load_tokenizer

    records = json.loads(ALPACA.read_text())
    folder, prompt_format = args.model, "chat_template"
    if folder is None:
        folder, prompt_format = tempfile.mkdtemp(prefix="vllm-cpu-"), "alpaca"
        build_lively_demo_model(
            records[:2000], folder, max_positions=2048, num_attention_heads=1, head_dim=64
        )
    tokenizer = load_tokenizer(folder)
    chosen = records[: args.prompts]
    answers = [prompt_ids(tokenizer, r, prompt_format) for r in chosen]
    curation = [
        prompt_ids(
            tokenizer,
            {"instruction": curation_prompt(r["instruction"], r["output"]), "system": SEED_TAG},
            prompt_format,
        )
        for r in chosen
    ]
    rows = []
    for task, prompts in (("answers", answers), ("curation", curation)):
        runs = [("transformers", transformers_run(folder, prompts, args.new_tokens))]
        runs.append(("vllm", vllm_run(folder, prompts, args.new_tokens, True)))
        if task == "curation":
            runs.append(
                ("vllm, no prefix caching", vllm_run(folder, prompts, args.new_tokens, False))
            )
        prompt_tokens = sum(len(p) for p in prompts) / len(prompts)
        for backend, run in runs:
            rate = len(prompts) * args.new_tokens / run["generate_s"]
            rows.append((task, backend, prompt_tokens, run["start_s"], run["generate_s"], rate))
    print(f"\n{args.prompts} prompts x {args.new_tokens} new tokens, greedy, float32")
    print("| task | backend | prompt tokens (mean) | start-up s | generation s | tokens/s |")
    print("|---|---|---:|---:|---:|---:|")
    for task, backend, prompt_tokens, start_s, generate_s, rate in rows:
        cells = (task, backend, f"{prompt_tokens:.0f}", f"{start_s:.1f}", f"{generate_s:.1f}")
        print("| " + " | ".join(cells) + f" | {rate:,.0f} |")


if __name__ == "__main__":
    main()

"""Offline vLLM generation over all prompts at once, tensor-parallel over the job's GPUs."""

from __future__ import annotations

import json
from pathlib import Path

from selfalign.cluster.launch import tensor_parallel_size
from selfalign.generate import Sampling, register, visible_gpu_count
from selfalign.models.encoding import encode_prompts
from selfalign.models.loading import adapter_base, load_tokenizer


@register("vllm")
def generate(
    model_path: str,
    records: list[dict],
    sampling: Sampling,
    *,
    batch_size: int,
    dtype: str,
    engine_args: dict | None = None,
    prompt_format: str = "alpaca",
) -> list[str]:
    """``batch_size`` is unused: vLLM schedules its own batches. ``engine_args``
    go to ``vllm.LLM`` as they are (the config's ``vllm`` block)."""
    from vllm import LLM, SamplingParams
    from vllm.platforms import current_platform

    tokenizer = load_tokenizer(model_path)
    prompts = [{"prompt_token_ids": p} for p in encode_prompts(tokenizer, records, prompt_format)]
    base, adapter = adapter_base(model_path), {}
    if base is not None:  # a LoRA adapter alone: vLLM serves it on its base model
        from vllm.lora.request import LoRARequest

        engine_args = {**lora_engine_args(model_path), **(engine_args or {})}
        adapter["lora_request"] = LoRARequest("adapter", 1, str(Path(model_path).resolve()))
    llm = LLM(
        model=base or model_path,
        tensor_parallel_size=tensor_parallel_size(visible_gpu_count()),
        dtype=dtype,
        seed=sampling.seed,
        # prompts that share a head (Humback's rubric) prefill it once
        **{"enable_prefix_caching": True, **(engine_args or {})},
    )
    params = SamplingParams(
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        top_k=sampling.top_k,  # 0: every token, as in transformers
        max_tokens=sampling.max_new_tokens,
        # vLLM's CPU build cannot rewind a seeded request's generator (torch's CPU
        # generators keep no offset); there sampled draws come from the engine's
        # generator, so they vary with how requests are batched: greedy is exact
        seed=None if current_platform.is_cpu() else sampling.seed,
        detokenize=False,  # decoded below as the transformers backend decodes
    )
    outputs = llm.generate(prompts, params, **adapter)
    return [
        tokenizer.decode(o.outputs[0].token_ids, skip_special_tokens=True).strip() for o in outputs
    ]


def lora_engine_args(adapter: str) -> dict:
    """LoRA on in the engine, its rank limit the adapter's rank rounded up to one vLLM
    takes (a power of two, 8 at least)."""
    rank = json.loads((Path(adapter) / "adapter_config.json").read_text())["r"]
    return {"enable_lora": True, "max_lora_rank": max(8, 1 << (rank - 1).bit_length())}

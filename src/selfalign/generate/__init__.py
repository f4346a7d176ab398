"""Generation backends: a model folder and prompts in, one answer per prompt out.

Every backend builds prompts with ``selfalign.models.encoding.encode_prompts``, in the
prompt format training used, so a model is asked exactly what it was trained to answer.
A backend is a function registered under a name; ``transformers`` runs
anywhere, ``vllm`` needs GPUs and the vLLM environment (``envs/vllm.yaml``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

_BACKENDS: dict[str, Callable] = {}


@dataclass(frozen=True)
class Sampling:
    """Decoding settings; temperature 0 means greedy, top_k 0 means no top-k cut.

    Every backend gets every setting explicitly: transformers would otherwise
    apply its own default (top-k 50) or the model's generation config.
    """

    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0


def register(name: str):
    def add(function: Callable) -> Callable:
        _BACKENDS[name] = function
        return function

    return add


def get_backend(name: str) -> Callable:
    from selfalign.generate import transformers_backend, vllm_backend  # noqa: F401

    if name not in _BACKENDS:
        raise KeyError(f"unknown generation backend {name!r}; choose one of {sorted(_BACKENDS)}")
    return _BACKENDS[name]


def visible_gpu_count() -> int:
    """GPUs this job may use: CUDA_VISIBLE_DEVICES where set (SLURM sets it), else 0."""
    devices = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return len([d for d in devices.split(",") if d.strip()])


def generate(
    settings: dict,
    model_path: str,
    records: list[dict],
    decoding: dict | None = None,
    *,
    prompt_format: str = "alpaca",
) -> list[str]:
    """Answers from the backend, batch size, dtype and seed of a config's generation block.

    The decoding settings (``max_new_tokens``, ``temperature``, optionally
    ``top_p`` and ``top_k``) come from the same block, or from ``decoding``
    where a step has its own (Humback's augment and curate).
    """
    decoding = settings if decoding is None else decoding
    sampling = Sampling(
        max_new_tokens=decoding["max_new_tokens"],
        temperature=decoding["temperature"],
        top_p=decoding.get("top_p", 1.0),
        top_k=decoding.get("top_k", 0),
        seed=settings["seed"],
    )
    backend = get_backend(settings["backend"])
    engine = {"engine_args": settings.get("vllm", {})} if settings["backend"] == "vllm" else {}
    return backend(
        model_path,
        records,
        sampling,
        batch_size=settings["batch_size"],
        dtype=settings["dtype"],
        prompt_format=prompt_format,
        **engine,
    )

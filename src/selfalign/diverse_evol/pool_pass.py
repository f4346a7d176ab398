"""A pass over a pool with a model folder, spread over a job's devices and merged in order.

Each device gets its own process and model copy; records are dealt to them
round-robin in length order, so every shard holds about the same number of
tokens. Every shard writes its rows to a file; the parent puts them back in
record order.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np


def job_devices() -> list[str]:
    """The GPUs this job can see (CUDA_VISIBLE_DEVICES), else the CPU."""
    import torch

    return [f"cuda:{i}" for i in range(torch.cuda.device_count())] or ["cpu"]


def _text_length(record: dict) -> int:
    return sum(len(v) for v in record.values() if isinstance(v, str))


def shard_indices(records: list[dict], n_shards: int) -> list[np.ndarray]:
    """Record indices per shard (each sorted), of near-equal total length."""
    order = sorted(range(len(records)), key=lambda i: (-_text_length(records[i]), i))
    return [np.sort(np.array(order[s::n_shards], dtype=np.int64)) for s in range(n_shards)]


def features_on_device(
    model_path: str, device: str, records: list[dict], *, dtype: str, token_scores: bool, **options
) -> dict[str, np.ndarray]:
    """Load the model on ``device`` and run ``pool_features`` on ``records``."""
    from selfalign.diverse_evol.embedding import pool_features
    from selfalign.models.loading import load_body, load_causal_lm, load_tokenizer

    tokenizer = load_tokenizer(model_path)
    if token_scores:
        model = load_causal_lm(model_path, dtype).to(device)
        body, head = model.base_model, model.get_output_embeddings()
    else:
        body, head = load_body(model_path, dtype).to(device), None
    return pool_features(body, tokenizer, records, lm_head=head, **options)


def _shard_worker(model_path, device, records, threads, out_path, options) -> str:
    import torch

    torch.set_num_threads(threads)
    np.savez(out_path, **features_on_device(model_path, device, records, **options))
    return out_path


def run_pool_pass(
    model_path: str,
    records: list[dict],
    *,
    devices: list[str],
    threads: int = 1,
    **options,
) -> dict[str, np.ndarray]:
    """``features_on_device`` over all ``devices`` at once, rows in record order.

    ``options`` are those of ``features_on_device`` (dtype, token_scores,
    max_length, batch_size, prompt_format, progress). ``threads`` is the job's CPU threads,
    split between the shards.
    """
    if len(devices) == 1:
        return features_on_device(model_path, devices[0], records, **options)
    import torch.multiprocessing

    shards = shard_indices(records, len(devices))
    context = torch.multiprocessing.get_context("spawn")  # CUDA cannot be forked
    per_shard = max(1, threads // len(devices))
    with (
        tempfile.TemporaryDirectory() as tmp,
        ProcessPoolExecutor(len(devices), mp_context=context) as pool,
    ):
        futures = [
            pool.submit(
                _shard_worker,
                model_path,
                device,
                [records[i] for i in indices],
                per_shard,
                str(Path(tmp) / f"shard_{k}.npz"),
                options,
            )
            for k, (device, indices) in enumerate(zip(devices, shards, strict=True))
        ]
        parts = [np.load(future.result()) for future in futures]
        merged = {}
        for name in parts[0].files:
            first = parts[0][name]
            merged[name] = np.empty((len(records), *first.shape[1:]), dtype=first.dtype)
            for indices, part in zip(shards, parts, strict=True):
                merged[name][indices] = part[name]
    return merged

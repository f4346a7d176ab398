"""Embed records with a model's last hidden layer, mean-pooled over tokens."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from selfalign.sft import encode_example, pad_batch


def length_sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first.

    Longest first makes an out-of-memory batch fail at once, not at the end.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def embed_records(
    body, tokenizer, records: list[dict], *, max_length: int, batch_size: int, progress: bool = True
) -> np.ndarray:
    """One float32 row per record, in record order.

    The text is the full training text (prompt + response), as in training;
    ``body`` is the transformer without its LM head. Padding is masked out of
    both attention and the mean, so a record's row does not depend on its batch.
    """
    import torch

    device = next(body.parameters()).device
    ids = [encode_example(tokenizer, r, max_length)["input_ids"] for r in records]
    batches = length_sorted_batches([len(x) for x in ids], batch_size)
    out = np.empty((len(records), body.config.hidden_size), dtype=np.float32)
    body.eval()
    with torch.inference_mode():
        for batch in tqdm(
            batches, desc="embedding", unit="batch", disable=not progress, mininterval=5
        ):
            inputs = pad_batch([{"input_ids": ids[i]} for i in batch], tokenizer.pad_token_id)
            inputs = {k: v.to(device) for k, v in inputs.items()}
            hidden = body(**inputs).last_hidden_state.float()
            mask = inputs["attention_mask"].unsqueeze(-1).float()
            mean = (hidden * mask).sum(1) / mask.sum(1)
            out[batch] = mean.cpu().numpy()
    return out

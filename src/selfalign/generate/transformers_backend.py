"""Batched generation with transformers: left-padded, length-sorted batches."""

from __future__ import annotations

from tqdm.auto import tqdm

from selfalign.generate import Sampling, register
from selfalign.models.encoding import encode_prompts, length_sorted_batches
from selfalign.models.loading import best_device, load_causal_lm, load_tokenizer


def _left_pad(rows: list[list[int]], pad_id: int):
    import torch

    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad_id] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


@register("transformers")
def generate(
    model_path: str,
    records: list[dict],
    sampling: Sampling,
    *,
    batch_size: int,
    dtype: str,
    prompt_format: str = "alpaca",
) -> list[str]:
    tokenizer = load_tokenizer(model_path)
    model = load_causal_lm(model_path, dtype).to(best_device()).eval()
    return generate_with(
        model, tokenizer, records, sampling, batch_size=batch_size, prompt_format=prompt_format
    )


def generate_with(
    model,
    tokenizer,
    records: list[dict],
    sampling: Sampling,
    *,
    batch_size: int,
    prompt_format: str = "alpaca",
    progress: bool = True,
) -> list[str]:
    """Answers of a loaded model, in record order."""
    import torch

    torch.manual_seed(sampling.seed)
    prompts = encode_prompts(tokenizer, records, prompt_format)
    answers: list[str] = [""] * len(records)
    options = {
        "max_new_tokens": sampling.max_new_tokens,
        "do_sample": sampling.temperature > 0,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    if sampling.temperature > 0:
        options.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k)
    batches = length_sorted_batches([len(p) for p in prompts], batch_size)
    with torch.inference_mode():
        for batch in tqdm(
            batches, desc="generating", unit="batch", mininterval=5, disable=not progress
        ):
            ids, mask = _left_pad([prompts[i] for i in batch], tokenizer.pad_token_id)
            out = model.generate(
                input_ids=ids.to(model.device), attention_mask=mask.to(model.device), **options
            )
            for i, row in zip(batch, out[:, ids.shape[1] :], strict=True):
                answers[i] = tokenizer.decode(row, skip_special_tokens=True).strip()
    return answers

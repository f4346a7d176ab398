"""Supervised fine-tuning examples: the Alpaca prompt, loss on the response."""

from __future__ import annotations

from selfalign.prompts import alpaca_prompt

IGNORE_INDEX = -100


def prompt_ids(tokenizer, record: dict) -> list[int]:
    """BOS and the Alpaca prompt: what training conditions on and generation feeds."""
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    return bos + tokenizer.encode(alpaca_prompt(record), add_special_tokens=False)


def encode_example(tokenizer, record: dict, max_length: int) -> dict[str, list[int]]:
    """Token ids of prompt + response + EOS, and labels masking the prompt.

    Prompt and response are tokenised separately and concatenated, so the
    prompt's ids are exactly those a model sees at generation time.
    """
    return encode_examples(tokenizer, [record], max_length)[0]


def encode_examples(tokenizer, records: list[dict], max_length: int) -> list[dict]:
    """``encode_example`` for many records (see ``iter_examples``)."""
    return list(iter_examples(tokenizer, records, max_length))


def iter_examples(tokenizer, records: list[dict], max_length: int, chunk: int = 4096):
    """``encode_example`` of each record in turn, tokenised ``chunk`` records at a
    time: one tokenizer call for their prompts and one for their responses,
    which a fast tokenizer encodes in parallel, with memory for one chunk."""
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        texts = {
            "prompt": [alpaca_prompt(r) for r in part],
            "response": [r["output"] for r in part],
        }
        ids = {
            k: tokenizer(v, add_special_tokens=False, return_attention_mask=False)["input_ids"]
            for k, v in texts.items()
        }
        for prompt, response in zip(ids["prompt"], ids["response"], strict=True):
            prompt = bos + prompt
            response = [*response, tokenizer.eos_token_id]
            yield {
                "input_ids": (prompt + response)[:max_length],
                "labels": ([IGNORE_INDEX] * len(prompt) + response)[:max_length],
            }


def pad_batch(examples: list[dict], pad_token_id: int) -> dict:
    """Right-pad a batch: pad ids in inputs, IGNORE_INDEX in labels, a 0/1 mask."""
    import torch

    width = max(len(e["input_ids"]) for e in examples)
    batch = {"input_ids": [], "attention_mask": []}
    if "labels" in examples[0]:
        batch["labels"] = []
    for e in examples:
        gap = width - len(e["input_ids"])
        batch["input_ids"].append(e["input_ids"] + [pad_token_id] * gap)
        batch["attention_mask"].append([1] * len(e["input_ids"]) + [0] * gap)
        if "labels" in batch:
            batch["labels"].append(e["labels"] + [IGNORE_INDEX] * gap)
    return {k: torch.tensor(v, dtype=torch.long) for k, v in batch.items()}

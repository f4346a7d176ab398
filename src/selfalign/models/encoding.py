"""Token ids of prompts and of prompt-completion examples, in either prompt format.

Training, embedding, token scoring and every generation backend tokenise
through this module, so a model is trained on exactly the prompt ids it is
later asked with. A prompt and its completion are tokenised separately and
concatenated: the prompt's ids never depend on the completion that follows.
"""

from __future__ import annotations

from selfalign.models.prompts import (
    TEMPLATE_FORMATS,
    alpaca_prompt,
    chat_messages,
    check_prompt_format,
    vicuna_prompt,
)


def prompt_ids(tokenizer, record: dict, prompt_format: str = "alpaca") -> list[int]:
    """What training conditions on and generation feeds, BOS included."""
    return encode_prompts(tokenizer, [record], prompt_format)[0]


def encode_prompts(tokenizer, records: list[dict], prompt_format: str = "alpaca"):
    """``prompt_ids`` of many records, in one tokenizer call."""
    check_prompt_format(prompt_format)
    return _prompt_ids(tokenizer, [_prompt_text(tokenizer, r, prompt_format) for r in records])


def encode_example(
    tokenizer, record: dict, max_length: int, prompt_format: str = "alpaca"
) -> dict[str, list[int]]:
    """``input_ids`` (prompt + completion) and ``completion_mask`` (1 on the completion)."""
    return next(iter_examples(tokenizer, [record], max_length, prompt_format))


def iter_examples(
    tokenizer, records: list[dict], max_length: int, prompt_format: str = "alpaca", chunk=4096
):
    """``encode_example`` of each record in turn, cut at ``max_length`` tokens.

    ``chunk`` records are tokenised at a time: one tokenizer call for their
    prompts and one for their completions, which a fast tokenizer encodes in
    parallel, with memory for one chunk.
    """
    check_prompt_format(prompt_format)
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        texts = [_prompt_text(tokenizer, r, prompt_format) for r in part]
        completions = [
            _completion_text(tokenizer, r, p, prompt_format)
            for r, p in zip(part, texts, strict=True)
        ]
        prompts = _prompt_ids(tokenizer, texts)
        encoded = tokenizer(completions, add_special_tokens=False, return_attention_mask=False)
        for prompt, completion in zip(prompts, encoded["input_ids"], strict=True):
            if prompt_format in TEMPLATE_FORMATS:
                completion = [*completion, tokenizer.eos_token_id]
            yield {
                "input_ids": (prompt + completion)[:max_length],
                "completion_mask": ([0] * len(prompt) + [1] * len(completion))[:max_length],
            }


def _prompt_text(tokenizer, record: dict, prompt_format: str) -> str:
    eos = tokenizer.eos_token or ""
    if prompt_format == "vicuna_v1.1":
        return vicuna_prompt(record, eos)
    if prompt_format in TEMPLATE_FORMATS:
        return alpaca_prompt(record, final_newline=prompt_format == "alpaca", eos=eos)
    return tokenizer.apply_chat_template(
        chat_messages(record), add_generation_prompt=True, tokenize=False
    )


def _prompt_ids(tokenizer, texts: list[str]) -> list[list[int]]:
    """Each prompt opens with the tokenizer's BOS where it has one, once: a chat
    template that writes it is not given a second."""
    ids = tokenizer(texts, add_special_tokens=False, return_attention_mask=False)["input_ids"]
    if tokenizer.bos_token_id is None:
        return ids
    bos = tokenizer.bos_token_id
    return [p if p[:1] == [bos] else [bos, *p] for p in ids]


def _completion_text(tokenizer, record: dict, prompt: str, prompt_format: str) -> str:
    """The response; with a chat template, the assistant turn as the template ends it
    (its end-of-turn tokens are what the model learns to stop with)."""
    if prompt_format == "vicuna_v1.1":
        return f" {record['output']}"
    if prompt_format in TEMPLATE_FORMATS:
        return record["output"]
    assistant = {"role": "assistant", "content": record["output"]}
    full = tokenizer.apply_chat_template([*chat_messages(record), assistant], tokenize=False)
    if not full.startswith(prompt):
        raise ValueError(
            "the chat template renders the prompt differently when an answer follows, so "
            "training and generation would see different prompts; use prompt_format: alpaca "
            "or a template whose generation prompt is a prefix of the full conversation"
        )
    return full[len(prompt) :]


def length_sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first.

    Longest first makes an out-of-memory batch fail at once, not at the end.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]

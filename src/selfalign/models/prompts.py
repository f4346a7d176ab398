"""The prompt formats: the Alpaca template, or the messages a tokenizer's chat
template renders. ``selfalign.models.encoding`` turns either into token ids for training,
embedding and generation alike.
"""

from __future__ import annotations

PROMPT_FORMATS = ("alpaca", "alpaca_release", "chat_template")
# alpaca_release: the DiverseEvol release's training prompt, which ends at
# "### Response:" with no newline before the response.
ALPACA_FORMATS = ("alpaca", "alpaca_release")

PROMPT_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides "
    "further context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)


def with_system(records: list[dict], system: str) -> list[dict]:
    """``records`` with a ``system`` text to open their prompts (none where it is empty)."""
    return [r | {"system": system} for r in records] if system else records


def alpaca_prompt(record: dict, final_newline: bool = True) -> str:
    """The prompt for one record; the response follows it directly (after
    ``### Response:`` and a newline, or with ``final_newline`` false no newline).

    A record's optional ``system`` text (Humback's data-source tags) opens the
    prompt, in training and at inference alike.
    """
    if record.get("input", "").strip():
        prompt = PROMPT_WITH_INPUT.format(instruction=record["instruction"], input=record["input"])
    else:
        prompt = PROMPT_NO_INPUT.format(instruction=record["instruction"])
    if not final_newline:
        prompt = prompt.removesuffix("\n")
    system = record.get("system", "").strip()
    return f"{system}\n\n{prompt}" if system else prompt


def chat_messages(record: dict) -> list[dict]:
    """The record as chat messages: its ``system`` text (Humback's tags) as the system
    message, the instruction (and input, after a blank line) as the user's."""
    user = record["instruction"]
    if record.get("input", "").strip():
        user = f"{user}\n\n{record['input']}"
    system = record.get("system", "").strip()
    return [{"role": "system", "content": system}] * bool(system) + [
        {"role": "user", "content": user}
    ]


def check_prompt_format(prompt_format: str) -> None:
    if prompt_format not in PROMPT_FORMATS:
        raise ValueError(f"prompt_format must be one of {PROMPT_FORMATS}, got {prompt_format!r}")

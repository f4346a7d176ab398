"""The prompt formats: the Alpaca template, FastChat's vicuna_v1.1 conversation,
or the messages a tokenizer's chat template renders. ``selfalign.models.encoding``
turns each into token ids for training, embedding and generation alike.
"""

from __future__ import annotations

PROMPT_FORMATS = ("alpaca", "alpaca_release", "vicuna_v1.1", "chat_template")
# alpaca_release: the DiverseEvol release's training prompt, which ends at
# "### Response:" with no newline before the response. vicuna_v1.1: the
# conversation the unofficial Humback release trains and asks with.
TEMPLATE_FORMATS = ("alpaca", "alpaca_release", "vicuna_v1.1")  # rendered here, EOS after

# FastChat's vicuna_v1.1 (fastchat/conversation.py, SeparatorStyle.ADD_COLON_TWO)
VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)
VICUNA_ROLES = ("USER", "ASSISTANT")

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


def vicuna_prompt(record: dict) -> str:
    """The vicuna_v1.1 conversation up to the assistant's turn: the record's ``system``
    text (vicuna's own where it has none), then ``USER: ... ASSISTANT:``. A record's
    ``roles`` name the two turns otherwise (the Humback release's backward model).
    The response follows after a space."""
    user, assistant = record.get("roles") or VICUNA_ROLES
    text = record["instruction"]
    if record.get("input", "").strip():
        text = f"{text}\n\n{record['input']}"
    system = record.get("system", "").strip() or VICUNA_SYSTEM
    return f"{system} {user}: {text} {assistant}:"


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

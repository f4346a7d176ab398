"""The prompt formats: the Alpaca template, FastChat's vicuna_v1.1 conversation,
or the messages a tokenizer's chat template renders. ``selfalign.models.encoding``
turns each into token ids for training, embedding and generation alike.

A record is one turn: ``instruction`` (and ``input``). Its optional ``history``
holds the conversation's earlier turns, each ``{"instruction", "response"}``
(MT-Bench's second question follows the model's first answer); each earlier
response ends with the tokenizer's EOS text, as training ends every response.
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
PROMPT_NEXT_TURN = "### Instruction:\n{instruction}\n\n### Response:\n"  # after an EOS


def with_system(records: list[dict], system: str) -> list[dict]:
    """``records`` with a ``system`` text to open their prompts (none where it is empty)."""
    return [r | {"system": system} for r in records] if system else records


def user_text(turn: dict) -> str:
    """A turn's instruction, and its input after a blank line where it has one."""
    text = turn["instruction"]
    return f"{text}\n\n{turn['input']}" if turn.get("input", "").strip() else text


def alpaca_prompt(record: dict, final_newline: bool = True, eos: str = "") -> str:
    """The prompt for one record; the response follows it directly (after
    ``### Response:`` and a newline, or with ``final_newline`` false no newline).

    A record's optional ``system`` text (Humback's data-source tags) opens the
    prompt, in training and at inference alike. Earlier turns (``history``)
    follow the first one's prompt, each response closed by ``eos`` and each
    later question as a bare ``### Instruction:`` block.
    """
    history = record.get("history", [])
    first = history[0] if history else record
    if first.get("input", "").strip():
        prompt = PROMPT_WITH_INPUT.format(instruction=first["instruction"], input=first["input"])
    else:
        prompt = PROMPT_NO_INPUT.format(instruction=first["instruction"])
    later = [*history[1:], record] if history else []
    segments = [prompt] + [PROMPT_NEXT_TURN.format(instruction=user_text(t)) for t in later]
    if not final_newline:
        segments = [segment.removesuffix("\n") for segment in segments]
    responses = [turn["response"] + eos for turn in history]
    prompt = "".join(s for pair in zip(segments, [*responses, ""], strict=True) for s in pair)
    system = record.get("system", "").strip()
    return f"{system}\n\n{prompt}" if system else prompt


def vicuna_prompt(record: dict, eos: str = "") -> str:
    """The vicuna_v1.1 conversation up to the assistant's turn: the record's ``system``
    text (vicuna's own where it has none), then ``USER: ... ASSISTANT:``. A record's
    ``roles`` name the two turns otherwise (the Humback release's backward model).
    The response follows after a space; an earlier response ends with ``eos``
    (``</s>`` in FastChat), the next turn directly after it."""
    user, assistant = record.get("roles") or VICUNA_ROLES
    system = record.get("system", "").strip() or VICUNA_SYSTEM
    earlier = "".join(
        f"{user}: {user_text(turn)} {assistant}: {turn['response']}{eos}"
        for turn in record.get("history", [])
    )
    return f"{system} {earlier}{user}: {user_text(record)} {assistant}:"


def chat_messages(record: dict) -> list[dict]:
    """The record as chat messages: its ``system`` text (Humback's tags) as the system
    message, earlier turns as user and assistant messages, then the user's turn (the
    instruction, and the input after a blank line)."""
    system = record.get("system", "").strip()
    messages = [{"role": "system", "content": system}] * bool(system)
    for turn in record.get("history", []):
        messages += [
            {"role": "user", "content": user_text(turn)},
            {"role": "assistant", "content": turn["response"]},
        ]
    return [*messages, {"role": "user", "content": user_text(record)}]


def check_prompt_format(prompt_format: str) -> None:
    if prompt_format not in PROMPT_FORMATS:
        raise ValueError(f"prompt_format must be one of {PROMPT_FORMATS}, got {prompt_format!r}")

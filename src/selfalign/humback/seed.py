"""Seed pairs: from OpenAssistant (oasst1) trees, or plain pairs.

From ``*.trees.jsonl``, by default (``first_turn``, the paper's) only the root
prompter message and its rank-0 assistant reply count: later turns and
assistant-to-prompter pairs never do. The unofficial release's walk
(``all_depths``) pairs every message of a tree with its rank-0 reply. Both
sides must be English and longer than 5 words, and above ``min_quality`` where
one is given; the best ``seed_size`` pairs by summed quality label are kept.
"""

from __future__ import annotations

from pathlib import Path

from selfalign.data.records import DataError, parse_json_records


def _quality(message: dict) -> float:
    label = (message.get("labels") or {}).get("quality") or {}
    return float(label.get("value") or 0.0)


def _words(text: str) -> int:
    return len(text.split())


def _pair(message: dict, reply: dict) -> dict:
    return {
        "instruction": message["text"].strip(),
        "response": reply["text"].strip(),
        "quality": _quality(message) + _quality(reply),
    }


def _good_enough(message: dict, reply: dict, min_quality: float | None) -> bool:
    return min_quality is None or min(_quality(message), _quality(reply)) > min_quality


def all_depth_pairs(tree: dict, min_words: int = 6, min_quality: float | None = None) -> list[dict]:
    """Every (message, rank-0 reply) pair of a tree at any depth, as the unofficial
    release walks it: both English, of ``min_words`` or more, above ``min_quality``;
    roles and deletions are not looked at."""
    pairs, stack = [], [tree.get("prompt") or {}]
    while stack:
        message = stack.pop()
        replies = message.get("replies") or []
        for reply in replies:
            if (
                message.get("lang") == "en"
                and reply.get("lang") == "en"
                and reply.get("rank") == 0
                and _words(message["text"]) >= min_words
                and _words(reply["text"]) >= min_words
                and _good_enough(message, reply, min_quality)
            ):
                pairs.append(_pair(message, reply))
        stack.extend(reversed(replies))  # depth first, in reply order
    return pairs


def first_turn_pair(
    tree: dict, min_words: int = 6, min_quality: float | None = None
) -> dict | None:
    """The (instruction, response, quality) of a tree's first turn, or None."""
    root = tree.get("prompt") or {}
    if root.get("role") != "prompter" or root.get("lang") != "en" or root.get("deleted"):
        return None
    replies = [
        r
        for r in root.get("replies") or []
        if r.get("role") == "assistant" and r.get("rank") == 0 and not r.get("deleted")
    ]
    if not replies:
        return None
    reply = replies[0]
    if reply.get("lang", "en") != "en":
        return None
    if _words(root["text"]) < min_words or _words(reply["text"]) < min_words:
        return None
    return _pair(root, reply) if _good_enough(root, reply, min_quality) else None


def load_oasst_seed(
    path: str | Path,
    seed_size: int,
    walk: str = "first_turn",
    min_quality: float | None = None,
) -> list[dict]:
    """The ``seed_size`` best pairs of an oasst ``*.trees.jsonl`` file, taken from
    each tree's first turn or from every depth (``walk``); with ``min_quality``, both
    sides' quality labels must be above it (the release's cut is 0.6)."""
    pairs = []
    for item in parse_json_records(path):
        if not isinstance(item.value, dict) or "prompt" not in item.value:
            raise DataError(f"{path}:{item.line}: not an oasst message tree (no 'prompt')")
        if walk == "all_depths":
            pairs += all_depth_pairs(item.value, min_quality=min_quality)
        elif pair := first_turn_pair(item.value, min_quality=min_quality):
            pairs.append(pair)
    pairs.sort(key=lambda p: -p["quality"])  # stable: ties keep file order
    return [{"id": f"seed-{i:05d}", **p} for i, p in enumerate(pairs[:seed_size])]


def load_pairs(path: str | Path, limit: int | None = None) -> list[dict]:
    """The first ``limit`` pairs of a file: ``{"instruction", "response"}`` records, or
    Alpaca's ``{"instruction", "input", "output"}`` (the input follows the instruction
    after a blank line, as in the chat prompt). Errors name file and line."""
    pairs = []
    for index, item in enumerate(parse_json_records(path)[:limit]):
        record = item.value
        where = f"{path}:{item.line}: record {index}"
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected a JSON object")
        answer = "output" if "response" not in record and "output" in record else "response"
        for key in ("instruction", answer):
            if not isinstance(record.get(key), str) or not record[key].strip():
                raise DataError(f"{where}: field '{key}' must be a non-empty string")
        instruction = record["instruction"]
        if isinstance(record.get("input"), str) and record["input"].strip():
            instruction = f"{instruction}\n\n{record['input']}"
        pairs.append(
            {
                "id": str(record.get("id", f"seed-{index:05d}")),
                "instruction": instruction,
                "response": record[answer],
            }
        )
    if not pairs:
        raise DataError(f"{path}: no seed pairs")
    return pairs

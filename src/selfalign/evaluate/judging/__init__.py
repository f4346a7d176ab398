"""Pairwise judging with DiverseEvol's judge template.

A judge takes comparisons (a question and two answers) and returns one raw
reply per comparison; scores are parsed from the reply's first non-empty
line. Any other judge prompt (MT-Bench's grading) goes through the same
judges: a prompt gives its chat ``messages``, the ``key_texts`` that name it in
the reply cache, and whether a reply ``parses``. Judges are registered by name:
``openai`` (any OpenAI-compatible endpoint), ``vllm_local`` (a model folder the
workflow serves with ``vllm serve``) and ``reference`` (an offline proxy for the demo).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

JUDGE_TEMPLATE = """[Question]
{question}

[The Start of Assistant 1's Answer]
{answer_1}
[The End of Assistant 1's Answer]

[The Start of Assistant 2's Answer]
{answer_2}
[The End of Assistant 2's Answer]

[System]
We would like to request your feedback on the performance of two AI assistants in response to the user question displayed above.
Please rate the helpfulness, relevance, accuracy, level of details of their responses. Each assistant receives an overall score on a scale of 1 to 10, where a higher score indicates better overall performance.
Please first output a single line containing only two values indicating the scores for Assistant 1 and 2, respectively. The two scores are separated by a space. In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any potential bias and ensuring that the order in which the responses were presented does not affect your judgment.
"""  # noqa: E501 - verbatim, with the release's final newline

TEMPLATE_HASH = hashlib.sha256(JUDGE_TEMPLATE.encode()).hexdigest()[:16]
_SCORE_LINE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:,\s*|\s+)(\d+(?:\.\d+)?)\s*")
_JUDGES: dict[str, Callable] = {}


class JudgePrompt(Protocol):
    """What a judge sends and how it knows a usable reply."""

    @property
    def messages(self) -> list[dict]: ...

    @property
    def key_texts(self) -> list[str]: ...

    def parses(self, reply: str) -> bool: ...


@dataclass(frozen=True)
class Comparison:
    question: str
    answer_1: str
    answer_2: str
    reference: str | None = None

    @property
    def prompt(self) -> str:
        return JUDGE_TEMPLATE.format(
            question=self.question, answer_1=self.answer_1, answer_2=self.answer_2
        )

    @property
    def messages(self) -> list[dict]:
        return [{"role": "user", "content": self.prompt}]

    @property
    def key_texts(self) -> list[str]:
        return [TEMPLATE_HASH, self.question, self.answer_1, self.answer_2]

    @staticmethod
    def parses(reply: str) -> bool:
        return parse_scores(reply) is not None


def parse_scores(reply: str | None) -> tuple[float, float] | None:
    """(Assistant 1, Assistant 2) from the first non-empty line, or None.

    The line must hold exactly two numbers separated by a space or a comma;
    anything else is unparsed (kept and counted, never an error). The scale is
    1-10, but judges give 0 to an empty answer (the released GPT-4 judgments
    hold 35 such scores), so 0 is accepted too; above 10 is unparsed.
    """
    if not reply:
        return None
    first = next((line for line in reply.splitlines() if line.strip()), "")
    found = _SCORE_LINE.fullmatch(first)
    if not found:
        return None
    scores = float(found.group(1)), float(found.group(2))
    return scores if all(0 <= s <= 10 for s in scores) else None


def unparsed_share_error(
    where: str,
    replies: list[str],
    parses: Callable[[str], bool],
    max_share: float,
    missing: str,
    advice: str,
) -> str | None:
    """Why a judgment file must not be written: more of its replies than ``max_share``
    lack what a reply must hold (``missing``); None where it may be."""
    unparsed = [reply for reply in replies if not parses(reply)]
    if not replies or len(unparsed) <= max_share * len(replies):
        return None
    example = next((r for r in unparsed if r), "")[:200]
    return (
        f"{where}: {len(unparsed)} of {len(replies)} judge replies "
        f"({len(unparsed) / len(replies):.0%}) have no {missing}, more than "
        f"evaluation.judge.max_unparsed ({max_share:.0%}); a reply: {example!r}. A rerun asks "
        f"them again (up to evaluation.judge.max_attempts replies each). {advice}"
    )


def register(name: str):
    def add(factory: Callable) -> Callable:
        _JUDGES[name] = factory
        return factory

    return add


def make_judge(settings: dict):
    """A judge from the config's ``evaluation.judge`` block."""
    from selfalign.evaluate.judging import openai_judge, reference_judge, vllm_local_judge  # noqa: F401

    backend = settings["backend"]
    if backend not in _JUDGES:
        raise KeyError(f"unknown judge backend {backend!r}; choose one of {sorted(_JUDGES)}")
    return _JUDGES[backend](settings)

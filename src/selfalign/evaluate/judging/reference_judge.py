"""An offline proxy judge: token F1 of each answer against a reference answer.

For the CPU demo, which has no API and no GPU. Its replies have the judge's
format (two scores, then a line of explanation) so everything downstream is
the same, and its name says it is a proxy.
"""

from __future__ import annotations

import re
from collections import Counter

from selfalign.evaluate.judging import Comparison, register

_TOKEN = re.compile(r"\w+")


def token_f1(answer: str, reference: str) -> float:
    got, want = _TOKEN.findall(answer.lower()), _TOKEN.findall(reference.lower())
    common = sum((Counter(got) & Counter(want)).values())
    if not common:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


class ReferenceJudge:
    name = "reference-f1-proxy"

    def judge(self, comparisons: list[Comparison]) -> list[str]:
        replies = []
        for c in comparisons:
            if c.reference is None:
                raise ValueError(
                    "the reference judge needs a reference answer for every question; "
                    "use a test set with 'reference' fields or judge.backend: openai"
                )
            f1 = token_f1(c.answer_1, c.reference), token_f1(c.answer_2, c.reference)
            s1, s2 = (1 + round(9 * f) for f in f1)
            replies.append(
                f"{s1} {s2}\nProxy judge, not an LLM: token F1 against the reference answer "
                f"is {f1[0]:.2f} for Assistant 1 and {f1[1]:.2f} for Assistant 2."
            )
        return replies


@register("reference")
def make(settings: dict) -> ReferenceJudge:
    return ReferenceJudge()

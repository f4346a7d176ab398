"""MT-Bench: two-turn questions, a model's answers, and single-answer grading.

The files are FastChat's (``fastchat/llm_judge``): questions are JSON Lines of
``{"question_id", "category", "turns"}``; answers, a model's own and the
reference answers, are ``{"question_id", "model_id", "choices": [{"turns"}]}``.
Grading asks a judge to rate each turn 1-10 with FastChat's single-answer
prompts (``single-v1``, and ``single-math-v1`` with a reference answer for
math, reasoning and coding), turn 2 with the whole conversation. A rating is
``[[x]]``, else ``[x]``, else -1, and -1 is left out of every mean, as
FastChat's ``show_result`` does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from selfalign.data.records import DataError, parse_json_records
from selfalign.evaluate.judging import unparsed_share_error

NEED_REFERENCE = ("math", "reasoning", "coding")  # FastChat's NEED_REF_CATS
# FastChat's gen_model_answer samples each category at its own temperature (0 is greedy)
CATEGORY_TEMPERATURES = {
    "writing": 0.7,
    "roleplay": 0.7,
    "extraction": 0.0,
    "math": 0.0,
    "coding": 0.0,
    "reasoning": 0.0,
    "stem": 0.1,
    "humanities": 0.1,
}
DEFAULT_TEMPERATURE = 0.7  # a category FastChat does not name
UNPARSED = -1


@dataclass(frozen=True)
class JudgePromptSpec:
    """One of FastChat's single-answer judge prompts: its name, system message and template."""

    name: str
    system: str
    template: str


# FastChat's data/judge_prompts.jsonl, single-answer grading, verbatim ("You evaluation" too)
_HELPFUL = "You are a helpful assistant."
_SINGLE = """[Instruction]
Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. Begin your evaluation by providing a short explanation. Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".

[Question]
{question}

[The Start of Assistant's Answer]
{answer}
[The End of Assistant's Answer]"""  # noqa: E501 - verbatim
_SINGLE_MATH = """[Instruction]
Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. Your evaluation should consider correctness and helpfulness. You will be given a reference answer and the assistant's answer. Begin your evaluation by comparing the assistant's answer with the reference answer. Identify and correct any mistakes. Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".

[Question]
{question}

[The Start of Reference Answer]
{ref_answer_1}
[The End of Reference Answer]

[The Start of Assistant's Answer]
{answer}
[The End of Assistant's Answer]"""  # noqa: E501 - verbatim
_MULTI_TURN_SYSTEM = """Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. You evaluation should focus on the assistant's answer to the second user question. Begin your evaluation by providing a short explanation. Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".

"""  # noqa: E501 - verbatim
_MULTI_TURN = """<|The Start of Assistant A's Conversation with User|>

### User:
{question_1}

### Assistant A:
{answer_1}

### User:
{question_2}

### Assistant A:
{answer_2}

<|The End of Assistant A's Conversation with User|>"""
_MATH_MULTI_TURN_SYSTEM = """Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question. Your evaluation should consider correctness and helpfulness. You will be given a reference answer and the assistant's answer. You evaluation should focus on the assistant's answer to the second question. Begin your evaluation by comparing the assistant's answer with the reference answer. Identify and correct any mistakes. Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".

"""  # noqa: E501 - verbatim
_MATH_MULTI_TURN = """<|The Start of Reference Answer|>

### User:
{question_1}

### Reference answer:
{ref_answer_1}

### User:
{question_2}

### Reference answer:
{ref_answer_2}

<|The End of Reference Answer|>


<|The Start of Assistant A's Conversation with User|>

### User:
{question_1}

### Assistant A:
{answer_1}

### User:
{question_2}

### Assistant A:
{answer_2}

<|The End of Assistant A's Conversation with User|>"""
JUDGE_PROMPTS = {
    spec.name: spec
    for spec in (
        JudgePromptSpec("single-v1", _HELPFUL, _SINGLE),
        JudgePromptSpec("single-math-v1", _HELPFUL, _SINGLE_MATH),
        JudgePromptSpec("single-v1-multi-turn", _MULTI_TURN_SYSTEM, _MULTI_TURN),
        JudgePromptSpec("single-math-v1-multi-turn", _MATH_MULTI_TURN_SYSTEM, _MATH_MULTI_TURN),
    )
}

_RATING = re.compile(r"\[\[(\d+\.?\d*)\]\]")
_RATING_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")


def parse_rating(reply: str | None) -> float | None:
    """The first ``[[x]]`` in the reply, else the first ``[x]``, else None."""
    for pattern in (_RATING, _RATING_BACKUP):
        if reply and (found := pattern.search(reply)):
            return float(found.group(1))
    return None


@dataclass(frozen=True)
class Question:
    id: int | str
    category: str
    turns: tuple[str, ...]


@dataclass(frozen=True)
class Grading:
    """One turn of one answer, as the judge is asked to rate it (a ``JudgePrompt``)."""

    name: str
    system: str
    prompt: str

    @property
    def messages(self) -> list[dict]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.prompt},
        ]

    @property
    def key_texts(self) -> list[str]:
        return [self.name, self.system, self.prompt]

    @staticmethod
    def parses(reply: str) -> bool:
        return parse_rating(reply) is not None


def read_questions(path: str | os.PathLike) -> list[Question]:
    """The questions of a FastChat question file, checked; errors name the file and line."""
    questions, seen = [], {}
    for item in parse_json_records(path):
        where = f"{path}:{item.line}"
        record = item.value
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected a JSON object")
        turns = record.get("turns")
        if (
            not isinstance(turns, list)
            or len(turns) not in (1, 2)
            or not all(isinstance(t, str) and t.strip() for t in turns)
        ):
            raise DataError(f"{where}: 'turns' must be a list of one or two non-empty strings")
        if not isinstance(record.get("category"), str):
            raise DataError(f"{where}: field 'category' must be a string")
        if "question_id" not in record:
            raise DataError(f"{where}: missing field 'question_id'")
        qid = record["question_id"]
        if qid in seen:
            raise DataError(f"{where}: question_id {qid!r} again (first on line {seen[qid]})")
        seen[qid] = item.line
        questions.append(Question(qid, record["category"], tuple(turns)))
    if not questions:
        raise DataError(f"{path}: no questions")
    return questions


def read_answers(path: str | os.PathLike) -> dict[int | str, list[str]]:
    """Each question's answer turns, from a FastChat answer file (a model's, or the
    reference answers); a question answered twice keeps its last answer, as FastChat's
    ``load_model_answers`` does."""
    answers = {}
    for item in parse_json_records(path):
        record = item.value
        try:
            turns = record["choices"][0]["turns"]
            answers[record["question_id"]] = turns
        except (KeyError, IndexError, TypeError):
            raise DataError(
                f"{path}:{item.line}: expected {{'question_id', 'choices': [{{'turns': [...]}}]}}"
            ) from None
        if not all(isinstance(t, str) for t in turns):
            raise DataError(f"{path}:{item.line}: every turn must be a string")
    return answers


def turn_records(questions: list[Question], answers: dict, turn: int) -> list[dict]:
    """Generation records for turn ``turn`` (0-based) of the questions that have it,
    each with the conversation so far as ``history``."""
    return [
        {
            "instruction": q.turns[turn],
            "input": "",
            "history": [
                {"instruction": q.turns[t], "response": answers[q.id][t]} for t in range(turn)
            ],
        }
        for q in questions
        if len(q.turns) > turn
    ]


def category_temperature(question: Question) -> float:
    return CATEGORY_TEMPERATURES.get(question.category, DEFAULT_TEMPERATURE)


def answer_questions(
    questions: list[Question],
    generate: Callable[[list[dict], float], list[str]],
    temperature: float | None = None,
) -> dict[int | str, list[str]]:
    """Every question's answers, turn by turn: each later turn sees the earlier answers.

    ``generate(records, temperature)`` answers records at one temperature: the given
    one, or with None each category's (``CATEGORY_TEMPERATURES``), one call per
    temperature and turn.
    """
    answers: dict = {q.id: [] for q in questions}
    for turn in range(max(len(q.turns) for q in questions)):
        groups: dict[float, list[Question]] = {}
        for q in questions:
            if len(q.turns) > turn:
                t = category_temperature(q) if temperature is None else temperature
                groups.setdefault(t, []).append(q)
        for t, asked in groups.items():
            replies = generate(turn_records(asked, answers, turn), t)
            for q, reply in zip(asked, replies, strict=True):
                answers[q.id].append(reply)
    return answers


def answer_records(questions: list[Question], answers: dict, model_id: str) -> list[dict]:
    """FastChat's model-answer records, in question order."""
    return [
        {
            "question_id": q.id,
            "model_id": model_id,
            "choices": [{"index": 0, "turns": answers[q.id]}],
        }
        for q in questions
    ]


def grading(question: Question, answer: list[str], turn: int, reference: list[str] | None):
    """The judge prompt for one turn (0-based) of one answer."""
    needs_reference = question.category in NEED_REFERENCE
    if needs_reference and reference is None:
        raise DataError(
            f"question {question.id!r} ({question.category}) is graded against a reference "
            f"answer and has none: set evaluation.mt_bench.reference_answers to a FastChat "
            f"reference-answer file (data/mt_bench/reference_answer/gpt-4.jsonl)"
        )
    if needs_reference and len(reference) <= turn:
        raise DataError(
            f"question {question.id!r}: its reference answer has {len(reference)} turn(s), "
            f"and turn {turn + 1} is graded against it"
        )
    base = "single-math-v1" if needs_reference else "single-v1"
    spec = JUDGE_PROMPTS[base if turn == 0 else f"{base}-multi-turn"]
    fields = {"question": question.turns[0], "answer": answer[0]}
    if turn == 1:
        fields = {
            "question_1": question.turns[0],
            "question_2": question.turns[1],
            "answer_1": answer[0],
            "answer_2": answer[1],
        }
    if needs_reference:
        fields |= {f"ref_answer_{t + 1}": text for t, text in enumerate(reference)}
    return Grading(spec.name, spec.system, spec.template.format(**fields))


def grade(
    questions: list[Question],
    answers: dict,
    references: dict,
    judge,
    model_name: str,
) -> list[dict]:
    """One judgment record per question and turn (FastChat's single-answer layout, with
    the question's category); ``score`` is -1 where the reply holds no rating."""
    missing = [q.id for q in questions if len(answers.get(q.id, ())) < len(q.turns)]
    if missing:
        raise DataError(f"{model_name} has no answer (or too few turns) to questions {missing[:5]}")
    asked = [
        (q, turn, grading(q, answers[q.id], turn, references.get(q.id)))
        for q in questions
        for turn in range(len(q.turns))
    ]
    replies = judge.judge([prompt for _, _, prompt in asked])
    records = []
    for (question, turn, prompt), reply in zip(asked, replies, strict=True):
        rating = parse_rating(reply)
        records.append(
            {
                "question_id": question.id,
                "category": question.category,
                "turn": turn + 1,
                "model": model_name,
                "judge": [judge.name, prompt.name],
                "user_prompt": prompt.prompt,
                "judgment": reply,
                "score": UNPARSED if rating is None else rating,
            }
        )
    return records


def unparsed_error(records: list[dict], max_share: float, where: str) -> str | None:
    """Why a judgment file should not be written: too many replies without a rating."""
    return unparsed_share_error(
        where,
        [r["judgment"] for r in records],
        Grading.parses,
        max_share,
        missing="[[rating]]",
        advice="A judge that cannot write a rating needs a larger model, its reply "
        "constrained (evaluation.mt_bench.judge_extra_body), or a higher max_unparsed.",
    )


def scores(records: list[dict]) -> pd.Series:
    """The mean rating over both turns, per turn and per category, the rated turns (n)
    and the replies without a rating (unparsed)."""
    table = pd.DataFrame(records, columns=["category", "turn", "score"])
    rated = table[table["score"] != UNPARSED]
    figures = {"score": rated["score"].mean()}
    figures |= {f"turn {t}": part.mean() for t, part in rated.groupby("turn")["score"]}
    figures |= {c: part.mean() for c, part in rated.groupby("category")["score"]}
    return pd.Series(figures | {"n": len(rated), "unparsed": len(table) - len(rated)})

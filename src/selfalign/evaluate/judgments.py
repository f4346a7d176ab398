"""Judgment files: both answer orders per question, and their summary.

A judgment file has one JSON line per question in the field layout of the
DiverseEvol release (``response_QUERY0``: the tested model is Assistant 1,
``response_QUERY1``: it is Assistant 2; ``eval_QUERY*`` as [model, opponent]),
so released files and ours are read by the same code. Summaries re-parse the
raw replies rather than trusting stored scores.
"""

from __future__ import annotations

import re
from pathlib import Path

from selfalign.data.testsets import load_testset
from selfalign.evaluate.judging import Comparison, parse_scores, unparsed_share_error
from selfalign.io import read_jsonl

SUMMARY_COLUMNS = [
    "testset",
    "run",
    "model",
    "round",
    "opponent",
    "judge",
    "n",
    "win",
    "tie",
    "lose",
    "WS",
    "RS",
    "unparsed",
    "note",
]


def question_text(answer: dict) -> str:
    return (
        f"{answer['instruction']}\n\n{answer['input']}"
        if answer.get("input")
        else answer["instruction"]
    )


def answers_from_file(path: str | Path) -> list[dict]:
    """Questions and answers from an answers file (a test set file plus ``answer``)."""
    answers = []
    for q in load_testset(path):
        if not isinstance(q.record.get("answer"), str):
            raise ValueError(f"{path}: question {q.id!r} has no 'answer' string")
        answers.append(
            {
                "question_id": q.id,
                "instruction": q.instruction,
                "input": q.input,
                "reference": q.reference,
                "answer": q.record["answer"],
            }
        )
    return answers


def judge_pairs(
    model: list[dict], opponent: list[dict], judge, model_name: str, opponent_name: str
) -> list[dict]:
    """Judge every question in both orders; one record per question."""
    theirs = {a["question_id"]: a for a in opponent}
    missing = [a["question_id"] for a in model if a["question_id"] not in theirs]
    if missing:
        raise ValueError(f"the opponent {opponent_name!r} has no answer to questions {missing[:5]}")
    comparisons = []
    for mine in model:
        other, question = theirs[mine["question_id"]], question_text(mine)
        reference = mine.get("reference")
        comparisons.append(Comparison(question, mine["answer"], other["answer"], reference))
        comparisons.append(Comparison(question, other["answer"], mine["answer"], reference))
    replies = judge.judge(comparisons)
    records = []
    for i, mine in enumerate(model):
        first, second = replies[2 * i], replies[2 * i + 1]
        s0, s1 = parse_scores(first), parse_scores(second)
        records.append(
            {
                "question_id": mine["question_id"],
                "question_text": question_text(mine),
                "assistant1_QUERY0": model_name,
                "assistant2_QUERY0": opponent_name,
                "eval_QUERY0": list(s0) if s0 else None,
                "response_QUERY0": first,
                "assistant1_QUERY1": opponent_name,
                "assistant2_QUERY1": model_name,
                "eval_QUERY1": [s1[1], s1[0]] if s1 else None,
                "response_QUERY1": second,
                "judge": judge.name,
            }
        )
    return records


def unparsed_error(records: list[dict], max_share: float, where: str) -> str | None:
    """Why a judgment must not stand: more of its replies unparsed than ``max_share``."""
    return unparsed_share_error(
        where,
        [r[f"response_QUERY{i}"] for r in records for i in (0, 1)],
        Comparison.parses,
        max_share,
        missing="score line",
        advice="A judge that cannot write the verdict line needs a larger model, its first "
        "line constrained (evaluation.judge.extra_body), or a higher max_unparsed.",
    )


def model_opponent_scores(record: dict) -> list[tuple[float, float]]:
    """(model, opponent) per parsed order, re-parsed from the raw replies."""
    pairs = []
    first, second = parse_scores(record["response_QUERY0"]), parse_scores(record["response_QUERY1"])
    if first:
        pairs.append(first)
    if second:
        pairs.append((second[1], second[0]))
    return pairs


def summarize(records: list[dict]) -> dict:
    """n, Win, Tie, Lose, WS, RS and unparsed replies over a judgment file.

    Per question the sign of (model - opponent) is added over the parsed
    orders: positive is a Win, negative a Lose, zero a Tie. WS = (Win - Lose)
    / n + 1; RS = the model's summed scores / the opponent's. A question with
    no parsed order is left out of n; every unparsed reply is counted.
    """
    win = tie = lose = unparsed = 0
    model_total = opponent_total = 0.0
    for record in records:
        pairs = model_opponent_scores(record)
        unparsed += 2 - len(pairs)
        if not pairs:
            continue
        vote = sum((m > o) - (m < o) for m, o in pairs)
        win, tie, lose = win + (vote > 0), tie + (vote == 0), lose + (vote < 0)
        model_total += sum(m for m, _ in pairs)
        opponent_total += sum(o for _, o in pairs)
    n = win + tie + lose
    return {
        "n": n,
        "win": win,
        "tie": tie,
        "lose": lose,
        "WS": (win - lose) / n + 1 if n else float("nan"),
        "RS": model_total / opponent_total if opponent_total else float("nan"),
        "unparsed": unparsed,
    }


_FILE_NAME = re.compile(r"((?:rd_|M)(\d+))_vs_(.+)\.jsonl")


def describe_path(path: Path) -> dict:
    """testset, run, model, round, opponent from a judgment file's place.

    Ours: results/{run}/judge/{testset}/{model}_vs_{opponent}.jsonl, the model
    being rd_{round} or, for Humback, M{iteration} (its iteration);
    the release's: {testset}/{run}/rd_{round}_vs_{opponent}.jsonl.
    """
    found = _FILE_NAME.fullmatch(path.name)
    if not found:
        raise ValueError(f"{path}: not a judgment file name (rd_R_vs_OPPONENT.jsonl)")
    parts = path.parts
    if len(parts) >= 4 and parts[-3] == "judge":
        run, testset = parts[-4], parts[-2]
    else:
        run, testset = parts[-2], parts[-3] if len(parts) >= 3 else ""
    return {
        "testset": testset,
        "run": run,
        "model": found.group(1),
        "round": int(found.group(2)),
        "opponent": found.group(3),
    }


def note(summary: dict) -> str:
    """What a reader of a summary row must know: replies that gave no scores."""
    if not summary["unparsed"]:
        return ""
    if not summary["n"]:
        return f"no reply parsed ({summary['unparsed']} unparsed): WS and RS undefined"
    return f"{summary['unparsed']} unparsed replies left out"


def summary_table(paths: list[str | Path], described: list[dict] | None = None):
    """One row per judgment file (a DataFrame), sorted by test set, run, opponent and round.

    ``described`` says what each file judged (``plan.Judgment.describe``), in the
    order of ``paths``, as the workflow's plan knows it; without it, that is read
    from the files' places, as the release lays them out (``describe_path``).
    """
    import pandas as pd  # not at module level: each judge job would pay for it

    paths = [Path(path) for path in paths]
    if described is None:
        described = [describe_path(path) for path in paths]
    rows = []
    for path, judgment in zip(paths, described, strict=True):
        records = read_jsonl(path)
        judge = records[0].get("judge", "released") if records else ""
        summary = summarize(records)
        rows.append({**judgment, "judge": judge, **summary, "note": note(summary)})
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return table.sort_values(["testset", "run", "opponent", "round"], ignore_index=True)

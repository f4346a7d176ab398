"""Exact-match accuracy of answers against a test set's reference answers, per task family.

Answers and references are compared after SQuAD v1.1's normalisation (lower
case, punctuation and the articles a/an/the dropped, whitespace collapsed), so
"The capital of Peru is Lima." matches "the capital of peru is lima". Records
without a ``category`` count only in the total, ``all``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

import pandas as pd

ALL = "all"
COLUMNS = ["model", "family", "n", "correct", "accuracy"]
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalise(text: str) -> str:
    """SQuAD v1.1's answer normalisation."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION))
    return " ".join(text.split())


def exact_match(answer: str, reference: str) -> bool:
    return normalise(answer) == normalise(reference)


def family_accuracy(answers: Iterable[dict], source: str = "answers") -> pd.DataFrame:
    """Per family, then over ``all`` records: n, correct, accuracy.

    ``source`` names the answers in the error raised for a record without a
    reference (a test set without references has no exact-match score).
    """
    rows = []
    for line, record in enumerate(answers, 1):
        if not record.get("reference"):
            raise ValueError(
                f"{source}, record {line}: no 'reference' answer to score exact match against; "
                "give the test set 'reference' fields or leave it out of exact-match scoring"
            )
        correct = exact_match(record["answer"], record["reference"])
        rows.append({"family": record.get("category"), "correct": int(correct)})
    if not rows:
        raise ValueError(f"{source}: no answers to score")
    frame = pd.DataFrame(rows)
    table = frame.groupby("family", sort=False)["correct"].agg(n="size", correct="sum")
    table.loc[ALL] = [len(frame), frame["correct"].sum()]
    table["accuracy"] = table["correct"] / table["n"]
    return table.rename_axis("family").reset_index()


def accuracy_table(
    answers_by_model: dict[str, Iterable[dict]], sources: dict[str, str]
) -> pd.DataFrame:
    """One row per (model, family): a run's models in order, ``all`` last per model."""
    parts = [
        family_accuracy(answers, sources.get(model, model)).assign(model=model)
        for model, answers in answers_by_model.items()
    ]
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def replicate_summary(
    tables: dict[str, pd.DataFrame], replicates: dict[str, list[str]]
) -> pd.DataFrame:
    """Per group of replicate runs, model and family: mean, standard deviation, min and
    max accuracy over the runs (the runs' models are matched by name: rd_0, rd_1, ...)."""
    parts = []
    for group, runs in replicates.items():
        stacked = pd.concat([tables[run].assign(run=run) for run in runs], ignore_index=True)
        stats = stacked.groupby(["model", "family"], sort=False)["accuracy"].agg(
            runs="size", mean="mean", std="std", min="min", max="max"
        )
        parts.append(stats.reset_index().assign(group=group))
    summary = pd.concat(parts, ignore_index=True)
    summary["std"] = summary["std"].fillna(0.0)  # one run: no spread
    return summary[["group", "model", "family", "runs", "mean", "std", "min", "max"]]


def ordered_pivot(frame: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """``frame.pivot`` with rows and columns in the order they first appear in ``frame``
    (rd_0 ... rd_N, families as generated), not sorted."""
    table = frame.pivot(index=index, columns=columns, values=values)
    return table.loc[list(dict.fromkeys(frame[index])), list(dict.fromkeys(frame[columns]))]


def replicate_markdown(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table: a row per family, a column per group and model,
    each cell mean ± standard deviation over the group's runs."""
    frame = summary.assign(
        cell=[f"{m:.2f} ± {s:.2f}" for m, s in zip(summary["mean"], summary["std"], strict=True)],
        column=summary["group"] + " " + summary["model"],
    )
    table = ordered_pivot(frame, "family", "column", "cell")
    runs = ", ".join(
        f"{g}: {n}" for g, n in summary.groupby("group", sort=False)["runs"].max().items()
    )
    header = "| family | " + " | ".join(table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)
    rows = [f"| {family} | " + " | ".join(row) + " |" for family, row in table.iterrows()]
    return "\n".join([header, rule, *rows]) + f"\n\nMean ± standard deviation over runs ({runs}).\n"

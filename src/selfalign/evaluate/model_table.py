"""One table per run across its models: pairwise judgments, exact match, AlpacaEval,
lm-eval, MT-Bench.

Rows are the run's models in training order (base, rd_0 .. rd_N or M0 .. Mn);
a cell is empty where a model was not measured that way (rd_0 against itself).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from selfalign.evaluate import mt_bench
from selfalign.evaluate.accuracy import ALL
from selfalign.io import read_jsonl


def judge_columns(summary: pd.DataFrame) -> pd.DataFrame:
    """RS and Win rate per test set and opponent, indexed by model."""
    columns = {}
    for (testset, opponent), part in summary.groupby(["testset", "opponent"]):
        part = part.set_index("model")
        columns[f"RS {testset} vs {opponent}"] = part["RS"]
        columns[f"Win {testset} vs {opponent}"] = part["win"] / part["n"]
    return pd.DataFrame(columns)


def exact_match_columns(tables: dict[str, str | Path]) -> pd.DataFrame:
    """Exact-match accuracy over all questions, one column per test set."""
    columns = {}
    for testset, path in tables.items():
        table = pd.read_csv(path, sep="\t")
        total = table[table["family"] == ALL].set_index("model")
        columns[f"exact match {testset}"] = total["accuracy"]
    return pd.DataFrame(columns)


ALPACA_EVAL_COLUMNS = {  # leaderboard column: model table column
    "win_rate": "AlpacaEval win rate",
    "standard_error": "AlpacaEval win rate SE",
    "lc_win_rate": "AlpacaEval LC win rate",
    "lc_standard_error": "AlpacaEval LC win rate SE",
}


def alpaca_eval_column(leaderboards: dict[str, str | Path]) -> pd.DataFrame:
    """AlpacaEval's win rate and length-controlled win rate (percent) with their
    standard errors, per model, from each model's leaderboard file; the LC columns
    only where a leaderboard has them."""
    rows = {m: pd.read_csv(p, sep="\t").iloc[0] for m, p in leaderboards.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    present = [c for c in ALPACA_EVAL_COLUMNS if c in table and table[c].notna().any()]
    return table[present].astype(float).rename(columns=ALPACA_EVAL_COLUMNS)


def lm_eval_columns(tables: dict[str, str | Path]) -> pd.DataFrame:
    """One column per lm-eval task and metric, from each model's table."""
    rows = {}
    for model, path in tables.items():
        table = pd.read_csv(path, sep="\t")
        names = table["task"] + " " + table["metric"]
        rows[model] = dict(zip(names, table["value"], strict=True))
    return pd.DataFrame.from_dict(rows, orient="index")


MT_BENCH = "MT-Bench"  # the mean; "MT-Bench turn 1", "MT-Bench writing", ... beside it


def mt_bench_columns(judgments: dict[str, str | Path]) -> pd.DataFrame:
    """MT-Bench's mean rating over both turns, per turn and per category, and the
    replies without a rating, from each model's judgment file."""
    rows = {model: mt_bench.scores(read_jsonl(path)) for model, path in judgments.items()}
    table = pd.DataFrame.from_dict(rows, orient="index").drop(columns="n")
    table["unparsed"] = table["unparsed"].astype(int)
    names = {"score": MT_BENCH, "unparsed": f"{MT_BENCH} unparsed"}
    return table.rename(columns=lambda c: names.get(c, f"{MT_BENCH} {c}"))


def curation_notes(scores: dict[str, str | Path]) -> pd.DataFrame:
    """A note on each Humback model M_t whose curation kept no pair (``allow_empty``)."""
    notes = {}
    for model, path in scores.items():
        kept = int(pd.read_csv(path, sep="\t")["kept"].iloc[0])
        if not kept:
            notes[model] = "trained on the seed alone: curation kept no pair"
    return pd.DataFrame({"note": pd.Series(notes, dtype=object)})


def model_table(models: list[str], parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts side by side, one row per model in ``models`` order."""
    table = pd.concat([p for p in parts if not p.empty], axis=1) if parts else pd.DataFrame()
    table = table.reindex(models)
    table.index.name = "model"
    return table.reset_index()

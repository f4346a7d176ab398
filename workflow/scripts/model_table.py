"""A run's table across its models: judge RS and Win rate, exact match, AlpacaEval, lm-eval,
MT-Bench."""

import pandas as pd

from selfalign.cluster.logs import log_to
from selfalign.evaluate.model_table import (
    alpaca_eval_column,
    curation_notes,
    exact_match_columns,
    judge_columns,
    lm_eval_columns,
    model_table,
    mt_bench_columns,
)
from selfalign.io import atomic_output

log_to(snakemake.log[0])
models = snakemake.params.models
parts = []
if hasattr(snakemake.input, "judge"):
    parts.append(judge_columns(pd.read_csv(snakemake.input.judge, sep="\t")))
if hasattr(snakemake.input, "exact_match"):
    scored = dict(zip(snakemake.params.exact_match, snakemake.input.exact_match, strict=True))
    parts.append(exact_match_columns(scored))
if hasattr(snakemake.input, "alpaca_eval"):  # leaderboards, where a judge scored the outputs
    leaderboards = dict(zip(models, snakemake.input.alpaca_eval, strict=True))
    parts.append(alpaca_eval_column(leaderboards))
if hasattr(snakemake.input, "lm_eval"):
    parts.append(lm_eval_columns(dict(zip(models, snakemake.input.lm_eval, strict=True))))
if hasattr(snakemake.input, "mt_bench"):
    parts.append(mt_bench_columns(dict(zip(models, snakemake.input.mt_bench, strict=True))))
if hasattr(snakemake.input, "curation"):  # Humback: M1 .. Mn, each after its curation
    parts.append(
        curation_notes(
            dict(
                zip(models[-len(snakemake.input.curation) :], snakemake.input.curation, strict=True)
            )
        )
    )
with atomic_output(snakemake.output[0]) as tmp:
    model_table(models, parts).to_csv(tmp, sep="\t", index=False, float_format="%.4f")

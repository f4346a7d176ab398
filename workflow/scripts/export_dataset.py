"""A run's data as a hub dataset: one Parquet file per subset and a dataset card."""

import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa

from selfalign.cluster.logs import log_to
from selfalign.data.pools import to_records
from selfalign.data.records import read_json
from selfalign.diverse_evol.labeled import read_labeled
from selfalign.export import DATA_FILE, dataset_card, subset_summary, write_subset, write_text
from selfalign.io import atomic_output, open_arrow, read_jsonl

log_to(snakemake.log[0])


def pairs(path):
    """Humback's pairs (instruction, response) as records."""
    return [
        {"id": p["id"], "instruction": p["instruction"], "input": "", "output": p["response"]}
        | ({"score": p["score"]} if "score" in p else {})
        for p in read_jsonl(path)
    ]


subsets, vendi = {}, None
if snakemake.input.get("pool"):  # DiverseEvol: each round's labeled set
    pool = open_arrow(snakemake.input.pool)
    for round, path in enumerate(snakemake.input.labeled):
        rows = read_labeled(path, pool["id"]).rows
        subsets[f"rd_{round}"] = to_records(pool.take(pa.array(rows)))
    if snakemake.input.get("vendi"):
        table = pd.read_csv(snakemake.input.vendi, sep="\t")
        vendi = {f"rd_{r}": v for r, v in zip(table["round"], table["vendi"], strict=True)}
else:  # Humback: the seed, each curated set A_t, each model's training mix
    subsets["seed"] = pairs(snakemake.input.seed)
    for iteration, path in enumerate(snakemake.input.curated, start=1):
        subsets[f"curated_{iteration}"] = pairs(path)
    for path in snakemake.input.training:
        subsets[Path(path).stem] = read_json(path)  # train_backward, train_M0, ...
with atomic_output(snakemake.output[0]) as folder:
    for subset, records in subsets.items():
        write_subset(records, Path(folder) / DATA_FILE.format(subset=subset))
    summaries = {subset: subset_summary(records) for subset, records in subsets.items()}
    card = dataset_card(
        snakemake.params.name, snakemake.params.method, snakemake.params.settings, summaries, vendi
    )
    write_text(card, Path(folder) / "README.md")
logging.info("%s", {subset: s["records"] for subset, s in summaries.items()})

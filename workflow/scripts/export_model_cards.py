"""A model card per trained model of a run, and push.json: what selfalign-push uploads."""

import json
from pathlib import Path

import pandas as pd

from selfalign.cluster.logs import log_to
from selfalign.export import model_card, write_text
from selfalign.io import atomic_output

log_to(snakemake.log[0])
run, models = snakemake.wildcards.run, snakemake.params.models
table = None
if snakemake.input.get("models"):
    table = pd.read_csv(snakemake.input.models, sep="\t").set_index("model")
with atomic_output(snakemake.output.cards) as folder:
    for model, spec in models.items():
        figures = None
        if table is not None and model in table.index:
            figures = pd.to_numeric(table.loc[model], errors="coerce").dropna().to_dict()
        card = model_card(
            f"{run} {model}", spec["base"], model, spec["data"], spec["training"], figures
        )
        write_text(card, Path(folder) / model / "README.md")
plan = {
    "dataset_repo": snakemake.params.dataset_repo,
    "models": {m: {"repo_id": s["repo_id"], "folder": s["folder"]} for m, s in models.items()},
}
with atomic_output(snakemake.output.push) as tmp:
    Path(tmp).write_text(json.dumps(plan, indent=1) + "\n")

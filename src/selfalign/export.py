"""Publishing a run's data and models as users of TRL and distilabel publish theirs.

A run's export folder holds a dataset, one Parquet file per subset (a
DiverseEvol round's labeled set, a Humback curated set A_t or a model's
training mix), each record in ``messages`` form and in the Alpaca form, under
a dataset card; a model card per trained model; and ``push.json``, the hub
repositories the config names. ``selfalign-push`` uploads them; the workflow
never does.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from selfalign.io import atomic_output
from selfalign.models.prompts import chat_messages

DATA_FILE = "data/{subset}/train.parquet"


def as_messages(record: dict) -> list[dict]:
    """The record as a conversation: its system text, the user's turn, the answer."""
    return [*chat_messages(record), {"role": "assistant", "content": record["output"]}]


def write_subset(records: list[dict], path: str | os.PathLike) -> None:
    """Records as Parquet: ``messages``, then the Alpaca fields and whatever else they carry."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {"id": str(r.get("id", i)), "messages": as_messages(r)}
        | {field: r.get(field, "") for field in ("instruction", "input", "output")}
        | {k: v for k, v in r.items() if k not in ("id", "instruction", "input", "output")}
        for i, r in enumerate(records)
    ]
    with atomic_output(path) as tmp:
        pq.write_table(pa.Table.from_pylist(rows), tmp)


def subset_summary(records: list[dict]) -> dict:
    """Size and, where records have one, counts per category."""
    categories = Counter(r["category"] for r in records if "category" in r)
    return {"records": len(records), "categories": dict(sorted(categories.items()))}


def _yaml_header(fields: dict) -> str:
    import yaml

    return "---\n" + yaml.safe_dump(fields, sort_keys=False) + "---\n"


def dataset_card(
    name: str, method: str, settings: dict, subsets: dict[str, dict], vendi: dict | None = None
) -> str:
    """A dataset card: the hub's header (one config per subset), then what the data
    is, how it was made, the sizes and category counts, and Vendi scores."""
    header = {
        "configs": [
            {
                "config_name": s,
                "data_files": [{"split": "train", "path": DATA_FILE.format(subset=s)}],
            }
            for s in subsets
        ],
        "tags": ["instruction-tuning", method.lower(), "selfalign"],
    }
    lines = [
        f"# {name}",
        "",
        f"Instruction-tuning data selected or made by {method} with selfalign. Each "
        "subset is one file; every record is in `messages` form and in the Alpaca form "
        "(`instruction`, `input`, `output`).",
        "",
        "| subset | records | categories | Vendi score |",
        "| --- | ---: | --- | ---: |",
    ]
    for subset, summary in subsets.items():
        counts = ", ".join(f"{c} {n}" for c, n in summary["categories"].items())
        score = f"{vendi[subset]:.3f}" if vendi and subset in vendi else ""
        lines.append(f"| {subset} | {summary['records']} | {counts} | {score} |")
    lines += ["", "## How it was made", "", "```json", json.dumps(settings, indent=1), "```"]
    return _yaml_header(header) + "\n".join(lines) + "\n"


def model_card(
    name: str, base: str, model: str, data: str, training: dict, figures: dict | None
) -> str:
    """A model card: the base model, which data it was trained on, the settings, and
    the run's own measures of it (its row of the model table)."""
    header = {"base_model": base, "tags": ["selfalign", "instruction-tuning"]}
    lines = [
        f"# {name}",
        "",
        f"`{base}` fine-tuned on the subset `{data}` of its run's dataset (its model `{model}`).",
        "",
        "## Training settings",
        "",
        "```json",
        json.dumps(training, indent=1),
        "```",
    ]
    if figures:
        lines += ["", "## Evaluation", "", "| measure | value |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.4f} |" for k, v in figures.items() if v == v]  # not NaN
    return _yaml_header(header) + "\n".join(lines) + "\n"


def write_text(text: str, path: str | os.PathLike) -> None:
    with atomic_output(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def uploads(folder: str | os.PathLike) -> list[dict]:
    """What ``push`` sends: from ``push.json``, each repository with its folders."""
    folder = Path(folder)
    plan = json.loads((folder / "push.json").read_text())
    found = []
    if plan.get("dataset_repo"):
        found.append(
            {
                "repo_id": plan["dataset_repo"],
                "repo_type": "dataset",
                "folders": [str(folder / "dataset")],
            }
        )
    for model, spec in plan.get("models", {}).items():
        if spec.get("repo_id"):
            card = folder / "model_cards" / model
            found.append(
                {
                    "repo_id": spec["repo_id"],
                    "repo_type": "model",
                    "folders": [spec["folder"], str(card)],
                }
            )
    return found


def push(folder: str | os.PathLike, api=None, private: bool = True) -> list[dict]:
    """Upload an export folder's dataset and models to the repositories its
    ``push.json`` names, with ``huggingface_hub`` (the token from ``HF_TOKEN``)."""
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=os.environ.get("HF_TOKEN"))
    done = uploads(folder)
    for upload in done:
        api.create_repo(
            upload["repo_id"], repo_type=upload["repo_type"], private=private, exist_ok=True
        )
        for source in upload["folders"]:
            api.upload_folder(
                repo_id=upload["repo_id"],
                repo_type=upload["repo_type"],
                folder_path=source,
                ignore_patterns=[".snakemake_timestamp"],  # Snakemake's mark on folder outputs
            )
    return done

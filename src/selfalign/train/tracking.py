"""Experiment tracking in wandb and TensorBoard (config ``tracking``).

Every fine-tune is a tracker run named ``{run}/{model}`` (``kc/rd_2``,
``hb/backward``) in the group ``{run}``, logged by the Trainer; each run's
own figures (selection counts, Vendi scores, judge win rates and RS, exact
match, benchmark scores) are a run ``{run}/figures`` with one step a model
(the round, for DiverseEvol). Files go under ``results/tracking/``:
``tensorboard/{run}/{name}/`` and ``wandb/`` (offline runs by default, for
compute nodes without network: ``wandb sync results/tracking/wandb/offline-run-*``).

Settings travel to jobs as a ``TrackerRun`` object, which Snakemake leaves
out of the parameters that trigger reruns: tracking never changes a result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FOLDER = "results/tracking"


@dataclass(frozen=True)
class TrackerRun:
    """One tracker run: where and under which names a job logs."""

    report_to: tuple[str, ...]  # empty: tracking is off
    project: str
    wandb_mode: str
    group: str
    name: str

    @property
    def run_name(self) -> str:
        return f"{self.group}/{self.name}"

    def environment(self) -> dict[str, str]:
        """What wandb and the Trainer's TensorBoard callback read, for every process."""
        folder = Path(FOLDER).absolute()
        folder.mkdir(parents=True, exist_ok=True)
        return {
            "WANDB_PROJECT": self.project,
            "WANDB_RUN_GROUP": self.group,
            "WANDB_MODE": self.wandb_mode,
            "WANDB_DIR": str(folder),  # wandb writes its wandb/ folder here
            "TENSORBOARD_LOGGING_DIR": str(folder / "tensorboard" / self.group / self.name),
        }

    def training_arguments(self) -> dict:
        return {"report_to": list(self.report_to), "run_name": self.run_name}


def tracker_run(settings: dict, group: str, name: str) -> TrackerRun:
    """The tracker run of a job (config ``tracking``); off where it reports to nothing."""
    return TrackerRun(
        tuple(settings["report_to"]), settings["project"], settings["wandb_mode"], group, name
    )


def model_step(model: str, position: int) -> int:
    """A model's step: its round or iteration (``rd_3``, ``M2``), else its place."""
    found = re.fullmatch(r"(?:rd_|M)(\d+)", model)
    return int(found.group(1)) if found else position


def run_figures(
    models: pd.DataFrame | None = None,
    judge: pd.DataFrame | None = None,
    selection: pd.DataFrame | None = None,
    vendi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A run's figures as rows of step, model, metric, value: every number of its
    model table (``results/{run}/models.tsv``: RS and win rates, exact match,
    benchmarks), its judgments' win, tie and lose counts, and, for DiverseEvol,
    its selection summary and Vendi scores (rounds as rd_N)."""
    import pandas as pd

    rows = []
    for position, row in enumerate([] if models is None else models.to_dict("records")):
        model = str(row.pop("model"))
        for metric, value in row.items():
            if isinstance(value, int | float) and pd.notna(value):
                rows.append((model_step(model, position), model, metric, float(value)))
    for row in [] if judge is None else judge.to_dict("records"):
        pair = f"judge/{row['testset']} vs {row['opponent']}"
        for outcome in ("win", "tie", "lose"):
            rows.append((int(row["round"]), row["model"], f"{pair}/{outcome}", float(row[outcome])))
    for prefix, table, columns in (
        ("selection", selection, ("labeled", "added", "categories")),
        ("diversity", vendi, ("vendi",)),
    ):
        for row in [] if table is None else table.to_dict("records"):
            for column in columns:
                step = int(row["round"])
                rows.append((step, f"rd_{step}", f"{prefix}/{column}", float(row[column])))
    figures = pd.DataFrame(rows, columns=["step", "model", "metric", "value"])
    return figures.sort_values(["step", "metric"], kind="stable", ignore_index=True)


def log_figures(run: TrackerRun, figures: pd.DataFrame) -> None:
    """Log ``figures`` (``run_figures``) to the run's trackers, one step a model."""
    environment = run.environment()
    by_step = {
        step: dict(zip(part["metric"], part["value"], strict=True))
        for step, part in figures.groupby("step", sort=True)
    }
    if "tensorboard" in run.report_to:
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(environment["TENSORBOARD_LOGGING_DIR"]) as writer:
            for step, values in by_step.items():
                for metric, value in values.items():
                    writer.add_scalar(metric, value, step)
    if "wandb" in run.report_to:
        import wandb

        with wandb.init(
            project=run.project,
            group=run.group,
            name=run.run_name,
            mode=run.wandb_mode,
            dir=environment["WANDB_DIR"],
            job_type="figures",
        ) as tracker:
            for step, values in by_step.items():
                tracker.log(values, step=step)

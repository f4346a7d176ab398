"""Benchmarks from lm-evaluation-harness on a local model folder.

Tasks are lm-eval's own or the project's, defined in lm-eval's YAML format
under an include path (``workflow/lm_eval_tasks``). Each model gets one
table: a row per task (and group) and metric.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from pathlib import Path

from selfalign.io import atomic_output
from selfalign.models.loading import adapter_base

log = logging.getLogger(__name__)

COLUMNS = ("task", "metric", "value", "stderr", "n")


class BenchmarkError(ValueError):
    """A benchmark setting that cannot work; the message says what to change."""


def task_manager(tasks: list[str], include_path: str | os.PathLike):
    """An lm-eval ``TaskManager`` that knows every name in ``tasks``.

    Indexing lm-eval's ~15,000 built-in tasks takes seconds, so they are
    indexed only when a name is not among the project's own.
    """
    from lm_eval.tasks import TaskManager

    include_path = Path(include_path).resolve()
    if not include_path.is_dir():
        raise BenchmarkError(f"lm-eval include path {include_path} is not a folder")
    manager = TaskManager(include_path=str(include_path), include_defaults=False)
    if not set(tasks) <= set(manager.all_tasks):
        manager = TaskManager(include_path=str(include_path))
    missing = [t for t in tasks if t not in manager.all_tasks]
    if missing:
        raise BenchmarkError(
            f"unknown lm-eval task(s) {missing}: not built into lm-eval and not defined "
            f"in {include_path}; fix the name (`lm-eval ls tasks` lists the built-in ones) "
            f"or add a task YAML under {include_path}"
        )
    return manager


def model_args(model_path, dtype: str) -> dict:
    """lm-eval's HF model arguments; a LoRA adapter folder goes on its base model."""
    base = adapter_base(model_path)
    if base is None:
        return {"pretrained": str(model_path), "dtype": dtype}
    return {"pretrained": base, "peft": str(model_path), "dtype": dtype}


def run_benchmarks(
    model_path: str | os.PathLike,
    tasks: list[str],
    *,
    include_path: str | os.PathLike,
    device: str = "cpu",
    batch_size: int = 1,
    dtype: str = "auto",
    num_fewshot: int | None = None,
    chat_template: bool = False,
) -> dict:
    """lm-eval's results dict for ``tasks`` with the HF backend on ``model_path``;
    with ``chat_template`` each request goes through the tokenizer's chat template."""
    import lm_eval

    if not tasks:
        raise BenchmarkError("no lm-eval tasks named; list at least one")
    manager = task_manager(tasks, include_path)
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=model_args(model_path, dtype),
        tasks=list(tasks),
        num_fewshot=num_fewshot,
        batch_size=batch_size,
        device=device,
        task_manager=manager,
        log_samples=False,
        apply_chat_template=chat_template,
    )
    log.info("lm-eval results:\n%s", lm_eval.utils.make_table(results))
    return results


def _number(value) -> float | str:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else ""


def results_table(results: dict) -> list[dict]:
    """Rows of ``COLUMNS``; ``metric`` is lm-eval's ``name,filter`` minus a ``none`` filter."""
    rows = []
    for task, metrics in results["results"].items():
        n = results.get("n-samples", {}).get(task, {}).get("effective", "")
        for key, value in metrics.items():
            name, _, filter_ = key.partition(",")
            if not filter_ or name.endswith("_stderr"):
                continue  # "alias", "samples" and the stderr entries read below
            stderr = metrics.get(f"{name}_stderr,{filter_}")
            rows.append(
                {
                    "task": task,
                    "metric": name if filter_ == "none" else key,
                    "value": _number(value),
                    "stderr": _number(stderr),
                    "n": n,
                }
            )
    return rows


def write_table(rows: list[dict], path: str | os.PathLike) -> None:
    """A TSV of ``COLUMNS``, atomically."""
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

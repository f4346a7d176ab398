"""AlpacaEval: its instruction and model-outputs files, and its judge.

A model-outputs file is a JSON array of ``{"dataset", "instruction",
"output", "generator"}``, the format of AlpacaEval's own ``results/``.
``judge_outputs`` runs the ``alpaca_eval`` package on a model's outputs
against a reference's, with one of its pairwise annotators pointed at any
OpenAI-compatible endpoint (OpenAI itself, or ``vllm serve``), and adds the
length-controlled win rate of AlpacaEval 2 (``length_controlled_winrate``).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
from pathlib import Path

import yaml

from selfalign.data.records import DataError, parse_json_records
from selfalign.io import atomic_output, write_json

log = logging.getLogger(__name__)

DEFAULT_ANNOTATOR = "alpaca_eval_gpt4"  # AlpacaEval 1's judge, the one Humback reports
LEADERBOARD_COLUMNS = (
    "generator",
    "annotator",
    "judge_model",
    "win_rate",
    "standard_error",
    "discrete_win_rate",
    "n_wins",
    "n_wins_base",
    "n_draws",
    "n_total",
    "avg_length",
    "lc_win_rate",
    "lc_standard_error",
    "lc_glm",
)
# The length-controlled GLM fitted here: alpaca_eval's length_controlled_minimal,
# the length term alone. The leaderboard's length_controlled_v1 also regresses on
# each instruction's difficulty and on two gamed baselines' annotations, which
# alpaca_eval downloads from the hub (df_gamed.csv); this one needs nothing more
# than the run's own annotations, so it is named as such in every table.
LC_GLM = "length_controlled_minimal"


class AlpacaEvalError(RuntimeError):
    """AlpacaEval cannot run or gave an incomplete result; the message says what to do."""


def _read(path: str | os.PathLike, with_output: bool) -> list[dict]:
    path = Path(path)
    items = parse_json_records(path)
    if not items:
        raise DataError(f"{path}: no records")
    records, first_line = [], {}
    for index, item in enumerate(items):
        where = f"{path}:{item.line}: record {index}"
        if not isinstance(item.value, dict):
            raise DataError(f"{where}: expected a JSON object")
        instruction = item.value.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            raise DataError(f"{where}: field 'instruction' must be a non-empty string")
        if with_output and not isinstance(item.value.get("output"), str):
            raise DataError(f"{where}: field 'output' must be a string")
        if instruction in first_line:
            raise DataError(
                f"{where}: duplicate instruction (first on line {first_line[instruction]}); "
                f"AlpacaEval pairs outputs by instruction, so each must be unique"
            )
        first_line[instruction] = item.line
        records.append(item.value)
    return records


def read_instructions(path: str | os.PathLike) -> list[dict]:
    """``instruction`` (and ``dataset``, where given) of each record, in file order.

    Reads a JSON array or JSON Lines; any other fields (an ``output``) are dropped.
    """
    return [
        {k: r[k] for k in ("dataset", "instruction") if k in r}
        for r in _read(path, with_output=False)
    ]


def read_outputs(path: str | os.PathLike) -> list[dict]:
    """The records of a model-outputs file, checked for ``instruction`` and ``output``."""
    return _read(path, with_output=True)


def model_outputs(instructions: list[dict], answers: list[str], generator: str) -> list[dict]:
    """AlpacaEval records pairing each instruction with its answer, in order."""
    return [
        {**i, "output": a, "generator": generator}
        for i, a in zip(instructions, answers, strict=True)
    ]


def write_model_outputs(records: list[dict], path: str | os.PathLike) -> None:
    """A JSON array, atomically."""
    write_json(records, path)


@contextlib.contextmanager
def _api_key(judge: dict):
    """``OPENAI_API_KEY`` set to the key the config names, so that it never lands on disk."""
    env = judge.get("api_key_env")
    key = os.environ.get(env) if env else "EMPTY"
    if not key:
        raise AlpacaEvalError(
            f"judge.api_key_env names {env}, which is not set: export {env}=<your key> "
            f"before running (keys never go in the config)"
        )
    old = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = key
    try:
        yield
    finally:
        if old is None:
            del os.environ["OPENAI_API_KEY"]
        else:
            os.environ["OPENAI_API_KEY"] = old


def write_annotator_config(judge: dict, annotator: str, folder: str | os.PathLike) -> Path:
    """Copy alpaca_eval's ``annotator`` into ``folder``, aimed at the judge endpoint.

    ``folder`` gets ``configs.yaml`` (alpaca_eval's cache of annotations lands
    next to it) and ``client_config.yaml`` (base URL, retries, timeout; no key).
    Chat messages are forced (``requires_chatml``): alpaca_eval would send
    models whose name contains "instruct" to the legacy completions API.
    """
    from alpaca_eval import constants

    source = constants.EVALUATORS_CONFIG_DIR / annotator / "configs.yaml"
    if not source.is_file():
        raise AlpacaEvalError(
            f"alpaca_eval has no annotator {annotator!r}; pick a folder of "
            f"{constants.EVALUATORS_CONFIG_DIR} whose configs.yaml uses openai_completions"
        )
    ((_, spec),) = yaml.safe_load(source.read_text()).items()
    if spec.get("fn_completions") != "openai_completions":
        raise AlpacaEvalError(
            f"annotator {annotator!r} calls {spec.get('fn_completions')}, not an "
            f"OpenAI-compatible endpoint; pick one that uses openai_completions"
        )
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    client = {"max_retries": judge["max_retries"], "timeout": judge["timeout"]}
    if judge.get("base_url"):
        client["base_url"] = judge["base_url"]
    client_path = folder / "client_config.yaml"
    client_path.write_text(yaml.safe_dump({"default": [client]}))
    spec["prompt_template"] = str(constants.EVALUATORS_CONFIG_DIR / spec["prompt_template"])
    spec["completions_kwargs"] = {
        **spec["completions_kwargs"],
        "model_name": judge["model"],
        "requires_chatml": True,
        "num_procs": judge["max_concurrency"],
        "client_config_path": str(client_path),
        **({"extra_body": judge["extra_body"]} if judge.get("extra_body") else {}),
    }
    # The name keys alpaca_eval's cache: another judge model must not reuse its verdicts.
    config_path = folder / "configs.yaml"
    config_path.write_text(yaml.safe_dump({f"{annotator}:{judge['model']}": spec}))
    return config_path


def _annotator_class():
    """alpaca_eval's pairwise annotator with two fixes to its cache of verdicts (0.6.6)."""
    from alpaca_eval.annotators import PairwiseAnnotator

    class Annotator(PairwiseAnnotator):
        def load_(self, path=None):
            super().load_(path)
            key, cached = self.annotation_key, self.df_annotations
            if cached is not None and key not in cached:
                self.df_annotations = None  # "[]": no verdict came back last time
            elif cached is not None:
                # pandas reads 1.0 and 2.0 back as int64, where pandas 3 refuses a tie's 1.5.
                cached[key] = cached[key].astype(float)

        def _apply_cached_annotations(self, df_to_annotate):
            # With is_store_missing_annotations=False, a first run has no cache to query.
            if self.df_annotations is None:
                return df_to_annotate
            return super()._apply_cached_annotations(df_to_annotate)

    return Annotator


def judge_outputs(
    model_outputs_path: str | os.PathLike,
    reference_path: str | os.PathLike,
    judge: dict,
    work_dir: str | os.PathLike,
    annotator: str = DEFAULT_ANNOTATOR,
    length_controlled: bool = True,
) -> tuple[dict, list[dict]]:
    """AlpacaEval win rate of a model's outputs over the reference's (and its
    length-controlled rate, unless ``length_controlled`` is false), and the annotations.

    ``judge`` holds ``model``, ``base_url``, ``api_key_env``, ``max_concurrency``,
    ``max_retries``, ``timeout`` and optionally ``extra_body``. ``work_dir`` keeps the
    annotator config and alpaca_eval's cache of verdicts, so a rerun asks only for
    missing ones.
    Raises AlpacaEvalError when an instruction has no reference output or
    when some pairs got no usable verdict.
    """
    outputs = read_outputs(model_outputs_path)
    reference = {r["instruction"]: r for r in read_outputs(reference_path)}
    missing = [o["instruction"] for o in outputs if o["instruction"] not in reference]
    if missing:
        raise AlpacaEvalError(
            f"{len(missing)} of {len(outputs)} instructions in {model_outputs_path} have no "
            f"output in {reference_path} (first: {missing[0][:80]!r}); answer the "
            f"instructions the reference answered"
        )
    generators = {o.get("generator") for o in outputs}
    if len(generators) != 1 or None in generators:
        raise DataError(f"{model_outputs_path}: expected one 'generator' name, got {generators}")
    config_path = write_annotator_config(judge, annotator, work_dir)

    from alpaca_eval import evaluate

    with _api_key(judge):
        leaderboard, annotations = evaluate(
            model_outputs=outputs,
            reference_outputs=[reference[o["instruction"]] for o in outputs],
            annotators_config=str(config_path),
            output_path=None,
            precomputed_leaderboard=None,
            is_cache_leaderboard=False,
            is_return_instead_of_print=True,
            fn_metric="get_winrate",  # the length-controlled one downloads instruction weights
            sort_by="win_rate",
            Annotator=_annotator_class(),
            is_store_missing_annotations=False,  # a failed verdict is asked again on a rerun
        )
    row = json.loads(leaderboard.to_json(orient="records"))[0]  # plain numbers, not numpy's
    if row["n_total"] != len(outputs):
        raise AlpacaEvalError(
            f"only {row['n_total']} of {len(outputs)} pairs got a verdict the {annotator} "
            f"parser could read; the log shows the judge's replies or errors. Verdicts "
            f"so far are cached in {Path(work_dir).resolve()}, so a rerun asks only for the rest"
        )
    summary = {
        "generator": generators.pop(),
        "annotator": annotator,
        "judge_model": judge["model"],
        **{k: row[k] for k in LEADERBOARD_COLUMNS[3:11]},
        **(
            {**length_controlled_winrate(annotations), "lc_glm": LC_GLM}
            if length_controlled
            else dict.fromkeys(LEADERBOARD_COLUMNS[11:])
        ),
    }
    return summary, annotations


def length_controlled_winrate(annotations: list[dict]) -> dict[str, float]:
    """AlpacaEval 2's length-controlled win rate and its standard error, in percent.

    alpaca_eval's own GLM code, formula and fitting (``LC_GLM``) on these
    annotations alone: preference regressed on tanh of the standardised length
    difference, then predicted with no length difference and averaged. Below 20
    judged pairs (a 5-fold cross-validated fit) both are NaN.
    """
    import pandas as pd
    from alpaca_eval.metrics.glm_winrate import (
        GLM_INFO,
        fit_LogisticRegressionCV,
        make_dmatrix_for_model,
    )

    glm = GLM_INFO[LC_GLM]
    df = pd.DataFrame(annotations)
    delta = df["output_1"].str.len() - df["output_2"].str.len()
    data = pd.DataFrame(
        {  # preference 1 (reference) .. 2 (model), a tie 0 or 1.5: as 0 .. 1
            "preference": df["preference"].astype(float).replace({0.0: 1.5}) - 1,
            "std_delta_len": delta / delta.std(),
            "not_gamed_baseline": True,
        }
    )
    no_length_difference = data[["not_gamed_baseline"]].assign(std_delta_len=0.0)
    train, test = make_dmatrix_for_model(data, no_length_difference, formula=glm["formula"])
    train = train[train["preference"].notna()]
    if len(train) < 20:
        log.warning("%d judged pairs: too few for a length-controlled win rate", len(train))
        return {"lc_win_rate": float("nan"), "lc_standard_error": float("nan")}
    model = fit_LogisticRegressionCV(train, "preference", is_ytrue_proba=True, **glm["kwargs"])
    predicted = pd.Series(model.predict_proba(test)[:, 1])
    return {"lc_win_rate": predicted.mean() * 100, "lc_standard_error": predicted.sem() * 100}


def write_leaderboard(summary: dict, path: str | os.PathLike) -> None:
    """One header line and one row of ``LEADERBOARD_COLUMNS``, tab-separated, atomically."""
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, LEADERBOARD_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerow(summary)


def write_annotations(annotations: list[dict], path: str | os.PathLike) -> None:
    """alpaca_eval's annotations (pairs, preferences, raw replies) as JSON, atomically."""
    import pandas as pd

    with atomic_output(path) as tmp:
        pd.DataFrame(annotations).to_json(tmp, orient="records", indent=1, force_ascii=False)

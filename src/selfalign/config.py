"""Checks on a workflow config that a JSON schema cannot express.

The schema (``workflow/schemas/config.schema.yaml``) checks types and keys;
this module resolves each run against the ``diverse_evol`` defaults and
checks what spans keys: names that must exist, and the selection budget
``init_label_num + n_round * n_query`` against the pool's size.
"""

from __future__ import annotations

import copy
from pathlib import Path

from selfalign.records import load_pool
from selfalign.selection import available


class ConfigError(ValueError):
    """A config value that cannot work; the message names its key."""


def describe_schema_error(error: BaseException) -> str | None:
    """``key.path: message`` for the jsonschema ValidationError behind ``error``."""
    while error is not None:
        if hasattr(error, "absolute_path") and hasattr(error, "message"):
            key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
            return f"invalid config: {key}: {error.message}"
        error = error.__cause__ or error.__context__
    return None


def resolve_run(config: dict, name: str) -> dict:
    """A run's settings: the ``diverse_evol`` defaults overridden by the run's own."""
    settings = copy.deepcopy(config["diverse_evol"])
    for key, value in config["runs"][name].items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    return settings


def pool_size(config: dict, dataset: str) -> int | None:
    """Records in a dataset: the generator's count, the checked file's, or None.

    None for a Humback curated set, whose size is known only once it exists;
    its budget is checked when round 0 is drawn.
    """
    spec = config["datasets"][dataset]
    if "generate" in spec:
        return spec["generate"]["n_records"]
    if "humback" in spec:
        return None
    path = Path(spec["path"])
    if not path.is_file():
        raise ConfigError(
            f"datasets.{dataset}.path: {path} does not exist; download the dataset "
            f"there or point the key at your copy"
        )
    return len(load_pool(path))


def check_config(config: dict) -> dict[str, dict]:
    """Resolve every run and check it; return ``{run: settings}``."""
    runs = {}
    sizes: dict[str, int] = {}
    strategies = available()
    for name in config["runs"]:
        run = resolve_run(config, name)
        key = f"runs.{name}"
        for ref, table in (("dataset", "datasets"), ("model", "models")):
            if run[ref] not in config[table]:
                raise ConfigError(
                    f"{key}.{ref}: {run[ref]!r} is not defined under '{table}' "
                    f"(defined: {sorted(config[table])})"
                )
        if run["strategy"] not in strategies:
            raise ConfigError(f"{key}.strategy: {run['strategy']!r} is not one of {strategies}")
        if run["dataset"] not in sizes:
            sizes[run["dataset"]] = pool_size(config, run["dataset"])
        need = run["init_label_num"] + run["n_round"] * run["n_query"]
        if sizes[run["dataset"]] is not None and need > sizes[run["dataset"]]:
            raise ConfigError(
                f"{key}: init_label_num + n_round * n_query = {run['init_label_num']} + "
                f"{run['n_round']} * {run['n_query']} = {need} exceeds the "
                f"{sizes[run['dataset']]} records of dataset {run['dataset']!r}; "
                f"lower n_round or n_query"
            )
        runs[name] = run
    for name, spec in config["models"].items():
        build = spec.get("build")
        if build and build["dataset"] not in config["datasets"]:
            raise ConfigError(f"models.{name}.build.dataset: {build['dataset']!r} is not defined")
    if "evaluation" in config:
        check_evaluation(config)
    check_humback(config)
    return runs


def check_humback(config: dict) -> None:
    """Humback runs name defined models and existing files; pools name real iterations."""
    humback = config.get("humback", {})
    for name, spec in humback.items():
        key = f"humback.{name}"
        if name in config["runs"]:
            raise ConfigError(f"{key}: a DiverseEvol run has the same name; rename one")
        if spec["model"] not in config["models"]:
            raise ConfigError(f"{key}.model: {spec['model']!r} is not defined under 'models'")
        for part, field in (("seed_data", "oasst"), ("seed_data", "path"), ("unlabelled", "path")):
            path = spec[part].get(field)
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"{key}.{part}.{field}: {path} does not exist")
    for name, spec in config["datasets"].items():
        source = spec.get("humback")
        if source is None:
            continue
        key = f"datasets.{name}.humback"
        if source["run"] not in humback:
            raise ConfigError(f"{key}.run: {source['run']!r} is not a Humback run")
        if source["iteration"] > humback[source["run"]]["n_iterations"]:
            raise ConfigError(
                f"{key}.iteration: {source['run']!r} has {humback[source['run']]['n_iterations']}"
                f" iterations, not {source['iteration']}"
            )


def check_evaluation(config: dict) -> None:
    """Names in ``evaluation`` that must exist, and opponents that make sense."""
    evaluation = config["evaluation"]
    for name, spec in evaluation["testsets"].items():
        key = f"evaluation.testsets.{name}"
        if "generate" in spec:
            pool = spec["generate"]["dataset"]
            if "generate" not in config["datasets"].get(pool, {}):
                raise ConfigError(f"{key}.generate.dataset: {pool!r} is not a generated dataset")
        elif not Path(spec["path"]).is_file():
            raise ConfigError(f"{key}.path: {spec['path']} does not exist")
    for name, spec in evaluation["opponents"].items():
        key = f"evaluation.opponents.{name}"
        if "answers" in spec:
            if {"run", "round"} & set(spec):
                raise ConfigError(f"{key}: give either 'answers' or 'run'/'round', not both")
            for testset, path in spec["answers"].items():
                if testset not in evaluation["testsets"]:
                    raise ConfigError(f"{key}.answers.{testset}: no such test set")
                if not Path(path).is_file():
                    raise ConfigError(f"{key}.answers.{testset}: {path} does not exist")
        elif not spec:
            raise ConfigError(f"{key}: name a 'run', a 'round' or fixed 'answers'")
        elif spec.get("run", None) not in (None, *config["runs"], *config.get("humback", {})):
            raise ConfigError(f"{key}.run: {spec['run']!r} is not one of the runs")
    alpaca = evaluation.get("alpaca_eval")
    if alpaca:
        for field in ("instructions", "reference"):
            if field in alpaca and not Path(alpaca[field]).is_file():
                raise ConfigError(f"evaluation.alpaca_eval.{field}: {alpaca[field]} does not exist")
        if "judge" in alpaca and "reference" not in alpaca:
            raise ConfigError(
                "evaluation.alpaca_eval.reference: a judge compares with reference outputs; "
                "name a file of them (e.g. AlpacaEval's text_davinci_003 outputs)"
            )
    model = evaluation["diversity"].get("model")
    if model is not None and model not in config["models"]:
        raise ConfigError(f"evaluation.diversity.model: {model!r} is not defined under 'models'")

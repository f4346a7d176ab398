"""Checks on a workflow config that a JSON schema cannot express.

The schema (``workflow/schemas/config.schema.yaml``) checks types and keys;
this module resolves each run against the ``diverse_evol`` defaults and
checks what spans keys: names that must exist, and the selection budget
``init_label_num + n_round * n_query`` against the pool's size.

Planning never reads a pool: it checks a budget where the size is known
without one (a generated pool, or a prepared pool's sidecar); the job that
prepares a pool checks every budget on it before any later job starts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from selfalign.cluster.launch import JobShape
from selfalign.diverse_evol.selection import available
from selfalign.train.batching import accumulation_steps, for_size
from selfalign.train.gpu_memory import ZeroSetup, fit_warning


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


# Keys renamed in this release, as (path to the old key, new name); "*" is any
# name (a run, a dataset). The old spelling is read as the new one, with a
# warning, for one release.
RENAMED_KEYS = [(("humback", "*", "unlabelled"), "unlabeled")]


def rename_deprecated_keys(config: dict) -> list[str]:
    """Rename deprecated keys in place; a message for each one found."""
    messages = []
    for old_path, new_name in RENAMED_KEYS:
        parents = [((), config)]
        for part in old_path[:-1]:
            parents = [
                ((*where, name), child)
                for where, node in parents
                if isinstance(node, dict)
                for name, child in node.items()
                if part in ("*", name)
            ]
        for where, node in parents:
            if not isinstance(node, dict) or old_path[-1] not in node:
                continue
            old_key = ".".join((*where, old_path[-1]))
            new_key = ".".join((*where, new_name))
            if new_name in node:
                raise ConfigError(f"{old_key}: renamed {new_key}, and both are set; keep {new_key}")
            node[new_name] = node.pop(old_path[-1])
            messages.append(
                f"config key {old_key} is deprecated: rename it {new_key} "
                "(read as such in this release, refused in the next)"
            )
    return messages


def resolve_run(config: dict, name: str) -> dict:
    """A run's settings: the ``diverse_evol`` defaults overridden by the run's own."""
    settings = copy.deepcopy(config["diverse_evol"])
    for key, value in config["runs"][name].items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    return settings


def check_dataset(config: dict, dataset: str) -> None:
    """A dataset's source exists (a hub dataset is checked when it is read)."""
    spec = config["datasets"][dataset]
    key = f"datasets.{dataset}"
    if "path" in spec and not Path(spec["path"]).exists():
        raise ConfigError(
            f"{key}.path: {spec['path']} does not exist; download the dataset "
            f"there or point the key at your copy"
        )
    for option in ("subset", "revision"):
        if option in spec and "hub" not in spec:
            raise ConfigError(f"{key}.{option}: only a hub dataset has one; remove it")
    for option in ("fields", "first"):
        if option in spec and not {"path", "hub"} & set(spec):
            raise ConfigError(f"{key}.{option}: only a dataset read from a file or the hub has one")


def check_budgets(config: dict, dataset: str, n_records: int, runs=None) -> None:
    """Every run on ``dataset`` selects at most its ``n_records`` records."""
    for name in config["runs"]:
        run = runs[name] if runs else resolve_run(config, name)
        if run["dataset"] != dataset:
            continue
        need = run["init_label_num"] + run["n_round"] * run["n_query"]
        if need > n_records:
            raise ConfigError(
                f"runs.{name}: init_label_num + n_round * n_query = {run['init_label_num']} + "
                f"{run['n_round']} * {run['n_query']} = {need} exceeds the "
                f"{n_records} records of dataset {dataset!r}; lower n_round or n_query"
            )


def check_config(
    config: dict, known_size: Callable[[str], int | None] = lambda dataset: None
) -> dict[str, dict]:
    """Resolve every run and check it; return ``{run: settings}``.

    ``known_size(dataset)`` is a pool's record count where planning knows it
    without reading the pool, else None.
    """
    runs = {}
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
        runs[name] = run
    for dataset in dict.fromkeys(run["dataset"] for run in runs.values()):
        check_dataset(config, dataset)
        spec = config["datasets"][dataset]
        size = spec["generate"]["n_records"] if "generate" in spec else known_size(dataset)
        if size is not None:
            check_budgets(config, dataset, size, runs)
    for name, spec in config["models"].items():
        gguf = spec.get("gguf", {})
        if "path" in gguf and not Path(gguf["path"]).is_file():
            raise ConfigError(f"models.{name}.gguf.path: {gguf['path']} does not exist")
        build = spec.get("build")
        if build and build["dataset"] not in config["datasets"]:
            raise ConfigError(f"models.{name}.build.dataset: {build['dataset']!r} is not defined")
        if build and "pretrain" in build:
            check_pretraining(config, name, build)
    if "evaluation" in config:
        check_evaluation(config)
    check_humback(config)
    return runs


def check_pretraining(config: dict, model: str, build: dict) -> None:
    """A built model's pre-training draws the demo's families and leaves out the
    questions of a generated test set."""
    key = f"models.{model}.build"
    if "generate" not in config["datasets"][build["dataset"]]:
        raise ConfigError(
            f"{key}.pretrain: pre-training text exists only for a generated (demo) dataset; "
            f"remove it, or build the model on one"
        )
    held_out = build["pretrain"]["held_out"]
    testsets = config.get("evaluation", {}).get("testsets", {})
    generated = sorted(name for name, spec in testsets.items() if "generate" in spec)
    if held_out not in generated:
        raise ConfigError(
            f"{key}.pretrain.held_out: {held_out!r} is not a generated test set under "
            f"evaluation.testsets (generated: {generated})"
        )


def humback_training(spec: dict, model: str) -> dict:
    """A Humback model's training settings (``backward``, ``M0``, ``M1`` ...): the run's,
    with its ``training_by_model`` entry for that model over them."""
    return {**spec["training"], **spec["training_by_model"].get(model, {})}


def training_blocks(config: dict, runs: dict[str, dict]) -> list[tuple[str, str, str, dict]]:
    """(rule, config key, model name, training settings) of every fine-tune; a Humback
    run's small-data settings count as a block of their own."""
    blocks = []
    for name, run in runs.items():
        own = config["runs"][name].get("training", {})
        key = f"runs.{name}.training" if own else "diverse_evol.training"
        blocks.append(("finetune", key, run["model"], run["training"]))
    for name, spec in config.get("humback", {}).items():
        key = f"humback.{name}"
        blocks.append(("humback_finetune", f"{key}.training", spec["model"], spec["training"]))
        small = for_size(spec["training"], spec["small_data"], n_records=0)  # any small set
        blocks.append(("humback_finetune", f"{key}.small_data.training", spec["model"], small))
        for model in spec["training_by_model"]:
            settings = humback_training(spec, model)
            block = f"{key}.training_by_model.{model}"
            blocks.append(("humback_finetune", block, spec["model"], settings))
    return blocks


def check_batches(
    config: dict, runs: dict[str, dict], processes: Callable[[str], int | None]
) -> None:
    """Every training block keeps its batch on its rule's GPUs.

    ``processes(rule)`` is how many processes the rule's jobs train with (one a
    GPU), or None where the profile sets it with a function.
    """
    for rule, key, _, training in training_blocks(config, runs):
        world_size = processes(rule)
        try:
            accumulation_steps(training, world_size or 1, key)
        except ValueError as err:
            where = f" (rule {rule} has {world_size} GPUs in the profile)" if world_size else ""
            raise ConfigError(f"{err}{where}") from None


def gpu_memory_warnings(
    config: dict,
    runs: dict[str, dict],
    shape: Callable[[str], JobShape | None],
    gpu_memory_gb: Callable[[str], float | None],
    deepspeed_file: Callable[[dict], str | dict | None],
) -> list[str]:
    """Where a fine-tune's model states outgrow the GPUs its rule gets in the profile.

    Checked for models with a ``size`` and rules whose profile entry gives
    ``gpu_memory_gb``; ``deepspeed_file(training)`` finds a block's DeepSpeed config.
    """
    warnings = []
    for rule, _, model, training in training_blocks(config, runs):
        size, memory, job = config["models"][model].get("size"), gpu_memory_gb(rule), shape(rule)
        if size is None or memory is None or job is None:
            continue
        zero = ZeroSetup.from_deepspeed(deepspeed_file(training))
        warning = fit_warning(rule, model, size, zero, job.processes_per_node, job.nodes, memory)
        if warning and warning not in warnings:
            warnings.append(warning)
    return warnings


def check_humback(config: dict) -> None:
    """Humback runs name defined models and existing files; pools name real iterations."""
    humback = config.get("humback", {})
    for name, spec in humback.items():
        key = f"humback.{name}"
        if name in config["runs"]:
            raise ConfigError(f"{key}: a DiverseEvol run has the same name; rename one")
        if spec["model"] not in config["models"]:
            raise ConfigError(f"{key}.model: {spec['model']!r} is not defined under 'models'")
        if spec["curate"]["agreement"] and spec["curate"]["scorer"] != "proxy":
            raise ConfigError(
                f"{key}.curate.agreement: compares the model's scores with the proxy's; "
                "set scorer: proxy, or remove agreement (the model is the curator already)"
            )
        for model in spec["training_by_model"]:
            index = int(model[1:]) if model.startswith("M") else 0
            if index > spec["n_iterations"]:
                raise ConfigError(
                    f"{key}.training_by_model.{model}: the run trains M0 to "
                    f"M{spec['n_iterations']} (n_iterations)"
                )
        for part, field in (("seed_data", "oasst"), ("seed_data", "path"), ("unlabeled", "path")):
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
    judge = evaluation["judge"]
    if judge["backend"] == "vllm_local" and judge["model"] not in config["models"]:
        raise ConfigError(
            f"evaluation.judge.model: {judge['model']!r} is not defined under 'models' "
            f"(vllm_local serves one of them; defined: {sorted(config['models'])})"
        )
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
    check_exact_match(config)
    model = evaluation["diversity"].get("model")
    if model is not None and model not in config["models"]:
        raise ConfigError(f"evaluation.diversity.model: {model!r} is not defined under 'models'")


def check_exact_match(config: dict) -> None:
    """Scored test sets are test sets; replicate groups name runs."""
    spec = config["evaluation"].get("exact_match")
    if spec is None:
        return
    for testset in spec.get("testsets", []):
        if testset not in config["evaluation"]["testsets"]:
            raise ConfigError(f"evaluation.exact_match.testsets: {testset!r} is not a test set")
    runs = {**config["runs"], **config.get("humback", {})}
    for group, names in spec["replicates"].items():
        key = f"evaluation.exact_match.replicates.{group}"
        for name in names:
            if name not in runs:
                raise ConfigError(f"{key}: {name!r} is not one of the runs")

import re

from snakemake.exceptions import WorkflowError

from selfalign.config import ConfigError, check_config
from selfalign.records import DataError
from selfalign.selection import get_strategy

try:
    RUNS = check_config(config)
except (ConfigError, DataError) as err:
    raise WorkflowError(f"invalid config: {err}") from None


wildcard_constraints:
    run="|".join(re.escape(name) for name in RUNS),
    rd=r"\d+",


def pool_file(dataset):
    return f"results/pools/{dataset}.json"


def run_pool(wildcards):
    return pool_file(RUNS[wildcards.run]["dataset"])


def built_model_dir(model):
    return f"results/models/{model}"


def base_model(run):
    """The hub id or folder a run fine-tunes from."""
    name = RUNS[run]["model"]
    spec = config["models"][name]
    return built_model_dir(name) if "build" in spec else spec["name_or_path"]


def base_model_input(wildcards):
    """The built base model as a job input; nothing for a hub id or an outside folder."""
    name = RUNS[wildcards.run]["model"]
    return built_model_dir(name) if "build" in config["models"][name] else []


def needs_embeddings(run):
    return get_strategy(RUNS[run]["strategy"]).needs_embeddings


def select_inputs(wildcards):
    prev = int(wildcards.rd) - 1
    inputs = {
        "pool": run_pool(wildcards),
        "labeled": f"results/{wildcards.run}/data/rd_{prev}_labeled.json",
        "unlabeled": f"results/{wildcards.run}/data/rd_{prev}_unlabeled.json",
    }
    if needs_embeddings(wildcards.run):
        inputs["embeddings"] = f"results/{wildcards.run}/embeddings/rd_{prev}.npy"
    return inputs


def run_targets(run):
    """Every round's model and the run's selection table."""
    rounds = range(RUNS[run]["n_round"] + 1)
    return [f"results/{run}/output/rd_{r}" for r in rounds] + [
        f"results/{run}/selection_summary.tsv"
    ]


def final_targets():
    return [target for run in RUNS for target in run_targets(run)] + [
        "results/selection_summary.png"
    ]

import re

from snakemake.exceptions import WorkflowError

from selfalign import plan
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
    testset=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    opponent=r"[A-Za-z0-9][A-Za-z0-9_.-]*",


def pool_file(dataset):
    return f"results/pools/{dataset}.json"


def run_pool(wildcards):
    return pool_file(RUNS[wildcards.run]["dataset"])


def built_model_dir(model):
    return f"results/models/{model}"


def model_path(name):
    """The hub id or folder of a model in 'models'."""
    spec = config["models"][name]
    return built_model_dir(name) if "build" in spec else spec["name_or_path"]


def model_input(name):
    """A built model as a job input; nothing for a hub id or an outside folder."""
    return built_model_dir(name) if "build" in config["models"][name] else []


def base_model(run):
    return model_path(RUNS[run]["model"])


def base_model_input(wildcards):
    return model_input(RUNS[wildcards.run]["model"])


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


EVALUATION = config.get("evaluation")
JUDGMENTS = plan.judgments(EVALUATION, RUNS) if EVALUATION else []


GENERATION_ENV = (
    "../../envs/vllm.yaml"
    if EVALUATION and EVALUATION["generation"]["backend"] == "vllm"
    else "../../envs/train.yaml"
)


def testset_file(name):
    spec = EVALUATION["testsets"][name]
    return spec.get("path") or f"results/testsets/{name}.jsonl"


def opponent_answers(wildcards):
    judgment = plan.Judgment(wildcards.run, wildcards.testset, int(wildcards.rd), wildcards.opponent)
    return plan.opponent_answers(EVALUATION, RUNS, judgment)


def diversity_model(run):
    return EVALUATION["diversity"].get("model") or RUNS[run]["model"]


def fixed_embeddings(run):
    return f"results/embeddings/{RUNS[run]['dataset']}/{diversity_model(run)}.npy"


def run_judgments(wildcards):
    return [j.path for j in JUDGMENTS if j.run == wildcards.run]


def evaluation_targets():
    if not EVALUATION:
        return []
    targets = [f"results/{run}/diversity/vendi.tsv" for run in RUNS]
    targets += [
        f"results/{run}/judge/summary.tsv" for run in RUNS if any(j.run == run for j in JUDGMENTS)
    ]
    return targets + ["results/report/vendi.png"] + (
        ["results/report/judge.png"] if JUDGMENTS else []
    )


def final_targets():
    return (
        [target for run in RUNS for target in run_targets(run)]
        + ["results/selection_summary.png"]
        + evaluation_targets()
    )

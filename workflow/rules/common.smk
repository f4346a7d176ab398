import os
import re

from snakemake.exceptions import WorkflowError

from selfalign import paths, plan
from selfalign.config import (
    ConfigError,
    check_batches,
    check_config,
    gpu_memory_warnings,
    humback_training,
)
from selfalign.cluster.environments import has_vllm, missing_vllm
from selfalign.cluster.environments import vllm_python as repository_vllm_python
from selfalign.humback import SYSTEM_PROMPTS
from selfalign.cluster.launch import JobShape
from selfalign.data.pool_meta import size_from_meta
from selfalign.diverse_evol.selection import get_strategy
from selfalign.train.tracking import tracker_run


def pool_file(dataset):
    """A prepared pool: checked records in one Arrow file (selfalign.data.pools)."""
    return paths.POOL.format(dataset=dataset)


def pool_meta_file(dataset):
    """A prepared pool's sidecar: its size, read while planning (selfalign.data.pool_meta)."""
    return paths.POOL_META.format(dataset=dataset)


def curated_file(run, iteration):
    return paths.CURATED.format(run=run, iteration=iteration)


def pool_source(dataset):
    """A dataset's spec as prepare_pool reads it: a Humback curated set is its file."""
    spec = config["datasets"][dataset]
    if "humback" in spec:
        return {"path": curated_file(spec["humback"]["run"], spec["humback"]["iteration"])}
    return spec


def known_pool_size(dataset):
    return size_from_meta(pool_source(dataset), pool_meta_file(dataset))


try:
    RUNS = check_config(config, known_pool_size)
except ConfigError as err:
    raise WorkflowError(f"invalid config: {err}") from None


HUMBACK = config.get("humback", {})
TRACKING = config["tracking"]


def settings(run):
    """A run's settings: a DiverseEvol run's, resolved against diverse_evol, or Humback's."""
    return RUNS[run] if run in RUNS else HUMBACK[run]


wildcard_constraints:
    run="|".join(re.escape(name) for name in [*RUNS, *HUMBACK]) or "(?!)",
    iteration=r"[1-9]\d*",
    shard=r"\d+",
    shards=r"[1-9]\d*",
    round=r"\d+",
    testset=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    opponent=r"[A-Za-z0-9][A-Za-z0-9_.-]*",


def dataset_source(wildcards):
    """The file or folder a pool is read from; nothing for a generated or hub pool."""
    return pool_source(wildcards.dataset).get("path", [])


def run_pool(wildcards):
    return pool_file(settings(wildcards.run)["dataset"])


def built_model_dir(name):
    return paths.BASE_MODEL.format(base_model=name)


def models_made_by(kind):
    """A wildcard pattern of the models the workflow makes from a ``kind`` block
    (``build``: a tiny model; ``gguf``: a converted file); one that matches none."""
    names = [name for name, spec in config["models"].items() if kind in spec]
    return "|".join(re.escape(name) for name in names) or "(?!)"


def made_here(name):
    return not {"build", "gguf"}.isdisjoint(config["models"][name])


def model_path(name):
    """The hub id or folder of a model in 'models'."""
    return built_model_dir(name) if made_here(name) else config["models"][name]["name_or_path"]


def model_input(name):
    """A model the workflow makes, as a job input; nothing for a hub id or an outside folder."""
    return built_model_dir(name) if made_here(name) else []


def rule_resource(name, key):
    """A rule's resource as the profile sets it; None where unset or set by a function."""
    value = getattr(rules, name).rule.resources.get(key)
    return None if value is None or value.is_evaluable() else value.value


def rule_shape(name):
    """GPUs per node and nodes of a rule's jobs; None where a function sets them."""
    resources = getattr(rules, name).rule.resources
    given = {key: resources.get(key) for key in ("gpu", "gres", "nodes")}
    given = {key: value for key, value in given.items() if value is not None}
    if any(value.is_evaluable() for value in given.values()):
        return None
    return JobShape.from_resources({key: value.value for key, value in given.items()})


def rule_processes(name):
    """Processes a rule's jobs train with (one a GPU); None where a function sets them."""
    shape = rule_shape(name)
    return None if shape is None else shape.world_size


def training_settings(block):
    """A training block whose relative DeepSpeed config path is found in the repository."""
    path = block.get("deepspeed")
    if isinstance(path, str) and not os.path.isabs(path) and not os.path.exists(path):
        return {**block, "deepspeed": os.path.join(workflow.basedir, path)}
    return block


def base_model(run):
    return model_path(settings(run)["model"])


def base_model_input(wildcards):
    return model_input(settings(wildcards.run)["model"])


def pool_pass_needed(run):
    """What the run's strategy needs from a pass over the pool: None, embeddings or token_scores."""
    return get_strategy(settings(run)["strategy"]).needs


def labeled_file(run, round):
    """A round's labeled set: pool rows and ids (selfalign.diverse_evol.labeled)."""
    return paths.LABELED.format(run=run, round=round)


def run_labeled_files(wildcards):
    return [labeled_file(wildcards.run, r) for r in range(settings(wildcards.run)["n_round"] + 1)]


def select_inputs(wildcards):
    prev = int(wildcards.round) - 1
    inputs = {"pool": run_pool(wildcards), "labeled": labeled_file(wildcards.run, prev)}
    needed = pool_pass_needed(wildcards.run)
    if needed == "embeddings":
        inputs["embeddings"] = paths.EMBEDDINGS.format(run=wildcards.run, round=prev)
    elif needed == "token_scores":
        inputs["token_scores"] = paths.TOKEN_SCORES.format(run=wildcards.run, round=prev)
    return inputs


def run_targets(run):
    """Every round's model, the release's JSON views the run asks for, its selection table."""
    rounds = range(settings(run)["n_round"] + 1)
    views = expand(paths.ROUND_JSON, run=run, round=rounds, part=settings(run)["round_json"])
    models = expand(paths.ROUND_MODEL, run=run, round=rounds)
    return models + views + [paths.SELECTION_SUMMARY.format(run=run)]


EVALUATION = config.get("evaluation")
FAMILIES = plan.families(RUNS, HUMBACK)  # every run's trained models: rd_0.. or M0..
JUDGMENTS = plan.judgments(EVALUATION, FAMILIES) if EVALUATION else []


EVALUATED_MODEL = r"rd_\d+|M\d+|base"  # the {model} of evaluation rules
HUMBACK_MODEL = r"backward|M\d+"  # the {model} of Humback's training rules
EXACT_MATCH = plan.exact_match(EVALUATION) if EVALUATION else None
MT_BENCH = (EVALUATION or {}).get("mt_bench")


def replicate_runs():
    """Every run in a group of replicates, each once, in the config's order."""
    if not EXACT_MATCH:
        return []
    return list(dict.fromkeys(run for runs in EXACT_MATCH["replicates"].values() for run in runs))


def accuracy_targets():
    """Exact-match tables, plots and the replicates' summary, for every scored test set."""
    if not EXACT_MATCH:
        return []
    targets = []
    for testset in EXACT_MATCH["testsets"]:
        targets += expand(paths.ACCURACY, run=FAMILIES, testset=testset)
        targets.append(paths.ACCURACY_PLOT.format(testset=testset))
        if EXACT_MATCH["replicates"]:
            targets.append(paths.REPLICATES_MARKDOWN.format(testset=testset))
    return targets


def trained_model_dir(run, model):
    """The folder (or hub id, for ``base``) of one of a run's models."""
    if model == "base":
        return base_model(run)
    if run in RUNS:
        return paths.ROUND_MODEL.format(run=run, round=model.removeprefix("rd_"))
    return paths.HUMBACK_MODEL.format(run=run, model=model)


def trained_model_input(wildcards):
    if wildcards.model == "base":
        return base_model_input(wildcards)
    return trained_model_dir(wildcards.run, wildcards.model)


def prompt_format(run):
    """How a run's models are prompted: as they were trained (``prompt_format``)."""
    return settings(run)["prompt_format"]


def inference_system(run):
    """Humback models answer with the system text of inference (the seed data's tag,
    as the paper does, unless humback.system_prompt says otherwise)."""
    return SYSTEM_PROMPTS[settings(run)["system_prompt"]]["inference"] if run in HUMBACK else ""


def evaluated_models(run):
    """The rows of a run's model table: its base model, where asked and where AlpacaEval,
    lm-eval or MT-Bench measure it (pairwise judgments compare trained models), then
    every trained one."""
    base = EVALUATION.get("base") and {"alpaca_eval", "lm_eval", "mt_bench"} & set(EVALUATION)
    return (["base"] if base else []) + FAMILIES[run].names()


def generation_env(backend):
    """vLLM runs in its own environment; everything else in the training one."""
    return "../../envs/vllm.yaml" if backend == "vllm" else "../../envs/train.yaml"


def pretraining_held_out(model):
    """The test set a built model's pre-training leaves out, if it is pre-trained."""
    pretraining = config["models"][model]["build"].get("pretrain")
    return testset_file(pretraining["held_out"]) if pretraining else []


def testset_file(name):
    spec = EVALUATION["testsets"][name]
    return spec.get("path") or paths.TESTSET.format(testset=name)


def vllm_python():
    """The vLLM environment's interpreter: the judge's ``server.python``, or the
    ``.venv-vllm`` that envs/install-venvs.sh builds beside the Snakefile."""
    given = EVALUATION["judge"]["server"]["python"]
    return given or str(repository_vllm_python(workflow.basedir))


def judge_settings():
    """The judge block as a judge job needs it: with vllm_local, the folder to serve,
    the interpreter to serve it with and where the shared server keeps its state."""
    judge = EVALUATION["judge"]
    if judge["backend"] != "vllm_local":
        return judge
    server = {**judge["server"], "state_dir": paths.JUDGE_SERVER}
    local = {"model_dir": model_path(judge["model"]), "vllm_python": vllm_python()}
    return {**judge, **local, "server": server}


if MT_BENCH and EVALUATION["judge"]["backend"] == "reference":
    raise WorkflowError(
        "evaluation.mt_bench is graded by evaluation.judge, and its backend 'reference' (the "
        "offline proxy) compares two answers: set evaluation.judge.backend to openai or vllm_local"
    )


USES_JUDGE = bool(JUDGMENTS or MT_BENCH)
if USES_JUDGE and EVALUATION["judge"]["backend"] == "vllm_local" and not Path(vllm_python()).is_file():
    raise WorkflowError(
        f"evaluation.judge.backend: vllm_local serves the judge with the vLLM environment's "
        f"python, and {vllm_python()} does not exist: run envs/install-venvs.sh, or set "
        f"evaluation.judge.server.python"
    )


def generation_backends():
    backends = {EVALUATION["generation"]["backend"]} if EVALUATION else set()
    return backends | {spec["generation"]["backend"] for spec in HUMBACK.values()}


# A local run without --sdm runs vLLM jobs with .venv-vllm's python (selfalign.cluster.environments)
deployment = getattr(workflow.deployment_settings, "deployment_method", None)
if "vllm" in generation_backends() and not deployment and not has_vllm():
    if not repository_vllm_python(workflow.basedir).is_file():
        raise WorkflowError(missing_vllm(workflow.basedir))


def judge_model_input(wildcards):
    judge = EVALUATION["judge"]
    return model_input(judge["model"]) if judge["backend"] == "vllm_local" else []


def opponent_answers(wildcards):
    judgment = plan.Judgment(wildcards.run, wildcards.testset, wildcards.model, wildcards.opponent)
    return plan.opponent_answers(EVALUATION, FAMILIES, judgment)


def diversity_model(run):
    return EVALUATION["diversity"].get("model") or settings(run)["model"]


def fixed_embeddings(run):
    return paths.FIXED_EMBEDDINGS.format(dataset=settings(run)["dataset"], base_model=diversity_model(run))


def run_judgments(run):
    return [judgment for judgment in JUDGMENTS if judgment.run == run]


def for_evaluated_models(template, run):
    return expand(template, run=run, model=evaluated_models(run))


def model_table_inputs(wildcards):
    """What a run's model table gathers: judge summary, AlpacaEval, lm-eval, MT-Bench."""
    run, inputs = wildcards.run, {}
    if any(j.run == run for j in JUDGMENTS):
        inputs["judge"] = paths.JUDGE_SUMMARY.format(run=run)
    if EXACT_MATCH:
        inputs["exact_match"] = expand(paths.ACCURACY, run=run, testset=EXACT_MATCH["testsets"])
    if "judge" in EVALUATION.get("alpaca_eval", {}):
        inputs["alpaca_eval"] = for_evaluated_models(paths.ALPACA_EVAL_LEADERBOARD, run)
    if "lm_eval" in EVALUATION:
        inputs["lm_eval"] = for_evaluated_models(paths.LM_EVAL, run)
    if MT_BENCH:
        inputs["mt_bench"] = for_evaluated_models(paths.MT_BENCH_JUDGMENTS, run)
    if run in HUMBACK:  # whether a curation kept nothing (curate.allow_empty)
        inputs["curation"] = curation_score_files(run)
    return inputs


def evaluation_targets():
    if not EVALUATION or not FAMILIES:
        return []
    targets = expand(paths.VENDI, run=RUNS) + expand(paths.MODEL_TABLE, run=FAMILIES)
    if "alpaca_eval" in EVALUATION:  # outputs alone: no score for the table, but wanted
        targets += [f for run in FAMILIES for f in for_evaluated_models(paths.ALPACA_EVAL_OUTPUTS, run)]
    targets += [paths.VENDI_PLOT] if RUNS else []
    targets += accuracy_targets()
    targets += [paths.MT_BENCH_PLOT] if MT_BENCH else []
    return targets + ([paths.JUDGE_PLOT] if JUDGMENTS else []) + [paths.MODELS_PLOT]


def humback_training_inputs(wildcards):
    """Seed pairs for every model; M_t also takes the curated set A_t."""
    inputs = {"seed": paths.HUMBACK_SEED.format(run=wildcards.run)}
    if wildcards.model not in ("backward", "M0"):
        inputs["curated"] = curated_file(wildcards.run, wildcards.model[1:])
    return inputs


def humback_curation_inputs(wildcards):
    """The augmented pairs, and M_{t-1} where it scores them (as the curator, or
    beside the demo's proxy)."""
    inputs = {"pairs": paths.AUGMENTED.format(run=wildcards.run)}
    curate = settings(wildcards.run)["curate"]
    if curate["scorer"] == "model" or curate["agreement"]:
        previous = f"M{int(wildcards.iteration) - 1}"
        inputs["model"] = paths.HUMBACK_MODEL.format(run=wildcards.run, model=previous)
    return inputs


def humback_shards(run):
    n = settings(run)["augment"]["shards"]
    return expand(paths.AUGMENTED_SHARD, run=run, shard=range(n), shards=n)


def humback_curation_shards(run, iteration):
    n = settings(run)["curate"]["shards"]
    return expand(paths.CURATION_SHARD, run=run, iteration=iteration, shard=range(n), shards=n)


def curation_score_files(run):
    """The score histogram of each curation, iterations 1 .. n_iterations."""
    return expand(paths.CURATION_SCORES, run=run, iteration=range(1, settings(run)["n_iterations"] + 1))


def humback_targets(run):
    models = [f"M{iteration}" for iteration in range(settings(run)["n_iterations"] + 1)]
    return expand(paths.HUMBACK_MODEL, run=run, model=models) + curation_score_files(run)


def tracked(run, name):
    """A job's tracker run: a parameter that triggers no rerun (selfalign.train.tracking)."""
    return tracker_run(TRACKING, run, name)


def figures_inputs(wildcards):
    """The tables a run's tracked figures come from."""
    run = wildcards.run
    inputs = {"models": paths.MODEL_TABLE.format(run=run)} if EVALUATION else {}
    if run in {judgment.run for judgment in JUDGMENTS}:
        inputs["judge"] = paths.JUDGE_SUMMARY.format(run=run)
    if run in RUNS:
        inputs["selection"] = paths.SELECTION_SUMMARY.format(run=run)
        inputs |= {"vendi": paths.VENDI.format(run=run)} if EVALUATION else {}
    return inputs


def final_targets():
    targets = [target for run in RUNS for target in run_targets(run)]
    targets += [paths.SELECTION_PLOT] if RUNS else []
    if TRACKING["report_to"]:
        figured = [*RUNS, *(HUMBACK if EVALUATION else [])]  # Humback's come from evaluation
        targets += expand(paths.TRACKED_FIGURES, run=figured)
    return targets + evaluation_targets() + [t for run in HUMBACK for t in humback_targets(run)]


def export_inputs(wildcards):
    """A run's subsets: a DiverseEvol run's labeled sets (with the pool and the Vendi
    scores), or Humback's seed pairs, curated sets and each model's training mix."""
    run = wildcards.run
    if run in RUNS:
        inputs = {"pool": run_pool(wildcards), "labeled": run_labeled_files(wildcards)}
        return inputs | ({"vendi": paths.VENDI.format(run=run)} if EVALUATION else {})
    iterations = range(1, settings(run)["n_iterations"] + 1)
    return {
        "seed": paths.HUMBACK_SEED.format(run=run),
        "curated": expand(paths.CURATED, run=run, iteration=iterations),
        "training": expand(paths.HUMBACK_TRAINING_DATA, run=run, model=FAMILIES[run].names()),
    }


def exported_models(run):
    """Each trained model of a run, as its card and push.json describe it."""
    repo = config["export"].get("model_repo", "")
    return {
        model: {
            "folder": trained_model_dir(run, model),
            "base": base_model(run),
            "data": model if run in RUNS else f"train_{model}",
            "training": humback_training(settings(run), model) if run in HUMBACK else settings(run)["training"],
            "repo_id": repo.format(run=run, model=model),
        }
        for model in FAMILIES[run].names()
    }


def model_card_inputs(wildcards):
    """The run's trained models, and the tables whose figures their cards quote."""
    models = [trained_model_dir(wildcards.run, m) for m in FAMILIES[wildcards.run].names()]
    return figures_inputs(wildcards) | {"trained": models}


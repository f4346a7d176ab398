"""The Humback stages, and DiverseEvol on their curated set, run with Snakemake's CLI."""

import json
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import TINY_CONFIG, run_snakemake, write_config
from test_workflow import planned_jobs

from selfalign.humback.curation import (
    curate,
    proxy_curation_reply,
    scored_pairs,
    with_model_scores,
)
from selfalign.humback.shards import shard
from selfalign.io import read_jsonl
from selfalign.models.loading import load_causal_lm

pytestmark = pytest.mark.workflow  # every test runs or plans the workflow

HUMBACK = {
    "model": "tiny",
    "seed_data": {"generate": {"n_records": 30}},
    "unlabeled": {"generate": {"n_documents": 60}, "min_chars": 150, "size": 24},
    "generation": {"batch_size": 12},
    "augment": {"shards": 2, "max_new_tokens": 8},
    "curate": {"scorer": "proxy", "agreement": True, "threshold": 5, "shards": 3},
    "n_iterations": 2,
    "max_length": 256,
    "training": {"num_train_epochs": 1, "learning_rate": 3e-3, "per_device_train_batch_size": 8},
    "small_data": {
        "below": 3000,
        "training": {"per_device_train_batch_size": 8, "global_batch_size": 8},
    },
}


def humback_config(**changes):
    humback = {**HUMBACK, **changes}
    return {
        "models": TINY_CONFIG["models"],
        "datasets": {
            "demo": TINY_CONFIG["datasets"]["demo"],
            "curated": {"humback": {"run": "hb", "iteration": 1}},
        },
        "humback": {"hb": humback},
        "diverse_evol": {
            **TINY_CONFIG["diverse_evol"],
            "init_label_num": 4,
            "n_round": 1,
            "n_query": 4,
            "max_length": 256,
        },
        "runs": {"kc_hb": {"dataset": "curated", "model": "tiny", "strategy": "kcenter"}},
    }


INSTRUCTIONS = ["Name a colour.", "Add 2 and 3.", "Say hello."]


@pytest.fixture(scope="module")
def humback_run(tmp_path_factory):
    """Humback, DiverseEvol on its curated set, and every model evaluated."""
    workdir = tmp_path_factory.mktemp("humback")
    instructions = workdir / "alpaca_eval.json"
    instructions.write_text(json.dumps([{"instruction": i} for i in INSTRUCTIONS]))
    config = humback_config()
    config["evaluation"] = {
        "testsets": {"qs": {"generate": {"dataset": "demo", "n_records": 4}}},
        "generation": {"max_new_tokens": 4, "temperature": 0.0},
        "judge": {"backend": "reference"},
        "opponents": {"first": {"round": 0}},
        "alpaca_eval": {"instructions": str(instructions)},
        "lm_eval": {"tasks": ["selfalign_tiny"], "batch_size": 8},
    }
    write_config(workdir, config)
    run_snakemake(workdir)
    return workdir / "results"


def test_every_stage_leaves_its_file(humback_run):
    stage = humback_run / "hb" / "humback"
    seed = read_jsonl(stage / "seed.jsonl")
    texts = read_jsonl(stage / "unlabeled.jsonl")
    assert len(seed) == 30 and len(texts) <= 24
    counts = json.loads((stage / "unlabeled_counts.json").read_text())
    assert counts["exact_duplicates"] > 0 and counts["sampled"] == len(texts)
    shards = [read_jsonl(stage / "augmented" / f"shard_{i}_of_2.jsonl") for i in range(2)]
    augmented = read_jsonl(stage / "augmented.jsonl")
    assert augmented == shards[0] + shards[1]
    assert [a["id"] for a in augmented] == [t["id"] for t in texts]
    assert [a["response"] for a in augmented] == [t["text"] for t in texts]
    for t in (1, 2):
        scored = read_jsonl(stage / f"curation_{t}.jsonl")
        kept = read_jsonl(stage / f"curated_{t}.jsonl")
        assert len(scored) == len(augmented)
        assert {k["id"] for k in kept} <= {s["id"] for s in scored if s["score"] == 5}
        table = pd.read_csv(stage / f"curation_{t}_scores.tsv", sep="\t").iloc[0]
        assert list(table.index) == [
            *"12345",
            "unparsed",
            "kept",
            "pairs",
            "model_parsed",
            "model_agrees",
        ]
        assert (table["kept"], table["pairs"]) == (len(kept), len(scored))
        # M_{t-1} answered the rating prompt for every pair, beside the proxy
        own = [s["model_score"] for s in scored if s["model_reply"]]
        assert len(own) == len(scored)
        assert table["model_parsed"] == sum(o is not None for o in own)
        assert table["model_agrees"] == sum(
            s["model_score"] == s["score"] for s in scored if s["model_score"] is not None
        )
    training = json.loads((stage / "train_M1.json").read_text())
    curated = read_jsonl(stage / "curated_1.jsonl")
    tags = [r["system"] for r in training]
    assert tags.count("Answer in the style of an AI Assistant.") == len(seed)
    assert tags.count("Answer with knowledge from web search.") == len(curated)
    for model in ("backward", "M0", "M1", "M2"):
        load_causal_lm(stage / model)


def test_curation_shards_merge_in_order_with_the_unsharded_histogram(humback_run):
    stage = humback_run / "hb" / "humback"
    augmented = read_jsonl(stage / "augmented.jsonl")
    settings = {"threshold": 5, "min_instruction_chars": 10, "max_instruction_chars": 800}
    for t in (1, 2):
        parts = [read_jsonl(stage / f"curation_{t}" / f"shard_{i}_of_3.jsonl") for i in range(3)]
        assert [len(p) for p in parts] == [
            len(p) for p in (shard(augmented, i, 3) for i in range(3))
        ]
        scored = read_jsonl(stage / f"curation_{t}.jsonl")
        assert scored == parts[0] + parts[1] + parts[2]
        assert [s["id"] for s in scored] == [a["id"] for a in augmented]
        proxy = [proxy_curation_reply(a["instruction"], a["response"]) for a in augmented]
        assert [s["reply"] for s in scored] == proxy
        unsharded = curate(
            with_model_scores(scored_pairs(augmented, proxy), [s["model_reply"] for s in scored]),
            settings,
        )
        table = pd.read_csv(stage / f"curation_{t}_scores.tsv", sep="\t")
        assert table.iloc[0].to_dict() == unsharded.summary


def test_a_failed_curation_shard_reruns_alone(humback_run):
    """As after a shard that failed: its file and the merge's are missing, the others not."""
    stage = humback_run / "hb" / "humback"
    lost = stage / "curation_1" / "shard_1_of_3.jsonl"
    merged = [
        stage / name for name in ("curation_1.jsonl", "curation_1_scores.tsv", "curated_1.jsonl")
    ]
    before = [path.read_text() for path in (lost, *merged)]
    for path in (lost, *merged):
        path.unlink()
    target = "results/hb/humback/curated_1.jsonl"
    plan = run_snakemake(humback_run.parent, "-n", target)
    jobs = planned_jobs(plan.stdout + plan.stderr)
    assert sorted(jobs, key=str) == [
        ("humback_curate", {"run": "hb", "iteration": "1"}),
        ("humback_curate_shard", {"iteration": "1", "run": "hb", "shard": "1", "shards": "3"}),
    ]
    run_snakemake(humback_run.parent, target)
    assert [path.read_text() for path in (lost, *merged)] == before


def test_export_publishes_the_seed_each_curated_set_and_each_training_mix(humback_run):
    run_snakemake(humback_run.parent, "results/hb/export/push.json", "results/hb/export/dataset")
    folder = humback_run / "hb/export"
    card = (folder / "dataset/README.md").read_text()
    names = ["seed", "curated_1", "curated_2", "train_M0", "train_M1", "train_M2"]
    header = yaml.safe_load(card.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == names
    curated = read_jsonl(humback_run / "hb/humback/curated_1.jsonl")
    rows = pq.read_table(folder / "dataset/data/curated_1/train.parquet").to_pylist()
    assert [(r["id"], r["output"]) for r in rows] == [(c["id"], c["response"]) for c in curated]
    mix = pq.read_table(folder / "dataset/data/train_M1/train.parquet").to_pylist()
    assert len(mix) == 30 + len(curated)  # the seed and A_1
    assert mix[-1]["messages"][0]["role"] == "system"  # the augmented pairs' tag
    assert (folder / "model_cards/M2/README.md").is_file()


def test_diverseevol_selects_from_the_curated_set(humback_run):
    curated = {r["id"] for r in read_jsonl(humback_run / "hb/humback/curated_1.jsonl")}
    labeled = json.loads((humback_run / "kc_hb/data/rd_1_labeled.json").read_text())
    unlabeled = json.loads((humback_run / "kc_hb/data/rd_1_unlabeled.json").read_text())
    assert len(labeled) == 8
    assert {r["id"] for r in labeled} | {r["id"] for r in unlabeled} == curated


BAD = {  # the change, the error, the stage output that must not appear
    "threshold outside 1 to 5": (
        {"curate": {"scorer": "proxy", "threshold": 7}},
        "invalid config: humback.hb.curate.threshold: 7 is greater than the maximum of 5",
        "results",
    ),
    "model scores compared with a model curator": (
        {"curate": {"scorer": "model", "agreement": True}},
        "humback.hb.curate.agreement: compares the model's scores with the proxy's",
        "results",
    ),
    "MinHash bands out of range": (
        {"unlabeled": {**HUMBACK["unlabeled"], "minhash": {"bands": 0}}},
        "invalid config: humback.hb.unlabeled.minhash.bands: 0 is less than the minimum of 1",
        "results",
    ),
    "no web text left after the length filter": (
        {"unlabeled": {**HUMBACK["unlabeled"], "min_chars": 2900}},
        "no unlabeled text has 2900 to 3000 characters",
        "results/hb/humback/unlabeled.jsonl",
    ),
    "seed pairs without a response": (
        {"seed_data": {"path": "seed.jsonl"}},
        "seed.jsonl:2: record 1: field 'response' must be a non-empty string",
        "results/hb/humback/seed.jsonl",
    ),
    "empty unlabeled pool": (
        {"unlabeled": {"path": "web.jsonl"}},
        "web.jsonl: the unlabeled pool is empty",
        "results/hb/humback/unlabeled.jsonl",
    ),
}


@pytest.mark.parametrize(("change", "message", "absent"), BAD.values(), ids=BAD)
def test_bad_humback_input_is_named_and_nothing_is_written(tmp_path, change, message, absent):
    (tmp_path / "seed.jsonl").write_text(
        '{"instruction": "a", "response": "b"}\n{"instruction": "c"}\n'
    )
    (tmp_path / "web.jsonl").write_text("")
    config = humback_config(**change)
    config["runs"] = {}
    write_config(tmp_path, config)
    until = ("--until", "humback_seed", "humback_unlabeled")
    result = run_snakemake(tmp_path, *until, "--show-failed-logs", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (tmp_path / absent).exists()


def test_every_model_is_evaluated_humback_and_diverseevol_alike(humback_run):
    judged = sorted(p.name for p in (humback_run / "hb" / "judge" / "qs").iterdir())
    assert judged == ["M1_vs_first.jsonl", "M2_vs_first.jsonl"]  # M0 is not judged against itself
    assert [p.name for p in (humback_run / "kc_hb" / "judge" / "qs").iterdir()] == [
        "rd_1_vs_first.jsonl"
    ]
    judgment = read_jsonl(humback_run / "hb" / "judge" / "qs" / "M1_vs_first.jsonl")
    assert len(judgment) == 4  # each question in both orders:
    assert all({"response_QUERY0", "response_QUERY1"} <= set(j) for j in judgment)
    log = (humback_run / "hb" / "logs" / "answer" / "qs" / "M1.log").read_text()
    assert "system tag: 'Answer in the style of an AI Assistant.'" in log
    outputs = json.loads((humback_run / "hb" / "alpaca_eval" / "M2_outputs.json").read_text())
    assert [o["instruction"] for o in outputs] == INSTRUCTIONS
    assert {o["generator"] for o in outputs} == {"hb/M2"} and all("output" in o for o in outputs)
    for run, models in (("hb", ["base", "M0", "M1", "M2"]), ("kc_hb", ["base", "rd_0", "rd_1"])):
        table = pd.read_csv(humback_run / run / "models.tsv", sep="\t")
        assert table["model"].tolist() == models
        assert table["selfalign_tiny acc"].between(0, 1).all()
        assert table["RS qs vs first"].isna().tolist() == [True, True] + [False] * (len(models) - 2)
    assert (humback_run / "report" / "models.png").stat().st_size > 10_000


def test_a_curation_that_parses_nothing_stops_unless_allowed(tmp_path):
    config = humback_config(
        curate={"scorer": "model", "threshold": 5, "shards": 1, "max_new_tokens": 8},
        augment={"shards": 1, "max_new_tokens": 8},
        n_iterations=1,
    )
    config["datasets"] = {"demo": config["datasets"]["demo"]}
    config.pop("runs")
    config["evaluation"] = {
        "testsets": {"qs": {"generate": {"dataset": "demo", "n_records": 2}}},
        "generation": {"max_new_tokens": 4, "temperature": 0.0},
        "judge": {"backend": "reference"},
        "opponents": {"first": {"round": 0}},
    }
    write_config(tmp_path, config)
    failed = run_snakemake(tmp_path, check=False)
    assert failed.returncode != 0
    assert re.search(  # on the console: the run, the iteration, the histogram, the fix
        r"humback\.hb iteration 1: curation scores 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, "
        r"unparsed: (\d+); kept 0 of \1 \(0% parsed\)",
        failed.stderr,
    ), failed.stderr[-3000:]
    assert re.search(
        r"humback\.hb iteration 1: only 0 of \d+ curation replies \(0%\) have a 'Score: N' "
        r"line, below curate\.min_parsed \(50%\), so M1 would train on the seed alone\. "
        r".*set curate\.allow_empty: true",
        failed.stderr,
    )
    assert not (tmp_path / "results/hb/humback/curated_1.jsonl").exists()
    assert not (tmp_path / "results/hb/humback/M1").exists()

    config["humback"]["hb"]["curate"]["allow_empty"] = True
    write_config(tmp_path, config)
    run_snakemake(tmp_path)
    models = pd.read_csv(tmp_path / "results/hb/models.tsv", sep="\t").set_index("model")
    assert models.loc["M1", "note"] == "trained on the seed alone: curation kept no pair"
    assert pd.isna(models.loc["M0", "note"])

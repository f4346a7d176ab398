"""The real workflow, run with Snakemake's CLI on the tiny config in temporary folders."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import REPO, TINY_CONFIG, run_snakemake, snakemake_command, tiny_config, write_config

from selfalign.data.demo import ANSWER_FORMATS
from selfalign.data.pools import read_records
from selfalign.diverse_evol.labeled import read_labeled
from selfalign.io import read_jsonl
from selfalign.models.loading import load_causal_lm
from selfalign.train.finetune import finetune

pytestmark = pytest.mark.workflow  # every test runs or plans the workflow

RUNS = ("kc", "rand")
N_ROUND, N_QUERY, INIT = 2, 12, 12


def read(path):
    return json.loads(path.read_text())


def planned_jobs(dry_run_output: str) -> list[tuple[str, dict]]:
    """(rule, wildcards) of each job a dry run prints."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", dry_run_output):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if head:
            found = re.search(r"wildcards: (.*)", block)
            pairs = found.group(1).split(", ") if found else []
            jobs.append((head.group(1), dict(p.split("=", 1) for p in pairs)))
    return jobs


def test_every_round_leaves_the_diverseevol_files(completed_run):
    results = completed_run / "results"
    pool = read_records(results / "pools" / "demo.arrow")
    for run in RUNS:
        previous = []
        for round in range(N_ROUND + 1):
            labeled = read(results / run / "data" / f"rd_{round}_labeled.json")
            unlabeled = read(results / run / "data" / f"rd_{round}_unlabeled.json")
            rows = read_labeled(results / run / "data" / f"rd_{round}_labeled.tsv").rows
            assert labeled == [pool[i] for i in rows]  # the release's view of the round
            assert unlabeled == [r for i, r in enumerate(pool) if i not in set(rows)]
            assert len(labeled) == INIT + round * N_QUERY
            assert labeled[: len(previous)] == previous
            previous = labeled
            assert (results / run / "output" / f"rd_{round}" / "model.safetensors").is_file()
        embedded = sorted(p.name for p in (results / run / "embeddings").glob("*.npy"))
        if run == "kc":
            assert embedded == [f"rd_{r}.npy" for r in range(N_ROUND)]
            assert np.load(results / run / "embeddings" / "rd_0.npy").shape == (120, 32)
        else:
            assert embedded == []  # random sampling needs no embedding
        assert (results / run / "selection_summary.tsv").is_file()
    assert read(results / "kc/data/rd_0_labeled.json") == read(
        results / "rand/data/rd_0_labeled.json"
    )
    assert read(results / "kc/data/rd_1_labeled.json") != read(
        results / "rand/data/rd_1_labeled.json"
    )
    assert (results / "selection_summary.png").stat().st_size > 10_000
    assert not list(results.rglob("*.tmp*"))


def test_every_round_is_answered_judged_and_measured(completed_run):
    results = completed_run / "results"
    questions = [json.loads(line)["id"] for line in (results / "testsets/qs.jsonl").open()]
    for run in RUNS:
        for round in range(N_ROUND + 1):
            answers = [
                json.loads(line)
                for line in (results / run / "answers/qs" / f"rd_{round}.jsonl").open()
            ]
            assert [a["id"] for a in answers] == questions
            assert all(isinstance(a["answer"], str) and "reference" in a for a in answers)
        vendi = (results / run / "diversity/vendi.tsv").read_text().splitlines()
        assert vendi[0].split("\t") == ["round", "labeled", "vendi"] and len(vendi) == N_ROUND + 2
    judged = sorted(p.relative_to(results).as_posix() for p in results.rglob("rd_*_vs_*.jsonl"))
    assert judged == sorted(
        [f"kc/judge/qs/rd_{r}_vs_rd0.jsonl" for r in (1, 2)]
        + [f"kc/judge/qs/rd_{r}_vs_random.jsonl" for r in (0, 1, 2)]
        + [f"rand/judge/qs/rd_{r}_vs_rd0.jsonl" for r in (1, 2)]
    )
    summary = (results / "kc/judge/summary.tsv").read_text().splitlines()
    header = ["testset", "run", "model", "round", "opponent", "judge", "n"]
    assert summary[0].split("\t")[:7] == header
    assert len(summary) == 1 + 5
    # round 0 of both runs is one subset trained the same way: the judge sees a draw
    same = next(line for line in summary if "\t0\trandom\t" in line).split("\t")
    assert same[7:10] == ["0", "6", "0"]
    table = (results / "kc/models.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in table] == ["model", "rd_0", "rd_1", "rd_2"]
    assert table[0].split("\t")[-1] == "exact match qs"
    for png in ("report/judge.png", "report/vendi.png", "report/models.png"):
        assert (results / png).stat().st_size > 10_000


def test_every_round_is_scored_per_task_family(completed_run):
    results = completed_run / "results"
    questions = [json.loads(line) for line in (results / "testsets/qs.jsonl").open()]
    families = list(dict.fromkeys(q["category"] for q in questions))
    for run in RUNS:
        table = pd.read_csv(results / run / "accuracy/qs.tsv", sep="\t")
        assert table["model"].tolist() == [
            f"rd_{r}" for r in range(N_ROUND + 1) for _ in range(len(families) + 1)
        ]
        assert table["family"].tolist() == [*families, "all"] * (N_ROUND + 1)
        per_model = table[table.family != "all"].groupby("model")["n"].sum()
        assert set(per_model) == {len(questions)}
        assert table["accuracy"].between(0, 1).all()
    summary = (results / "report/accuracy_qs_replicates.md").read_text()
    assert "| family | k-center rd_0 | k-center rd_1 | k-center rd_2 | random rd_0 |" in summary
    for png in ("report/accuracy_qs.png", "report/accuracy_qs_replicates.png"):
        assert (results / png).stat().st_size > 10_000


# The demo's premise at test size: a base pre-trained on terse answers ("Cairo")
# answers in a family's own format ("Cairo is the capital.") only after
# fine-tuning on records of that family.
PRETRAINED_TINY = {
    "tiny": {
        "build": {
            **TINY_CONFIG["models"]["tiny"]["build"],
            "vocab_size": 1024,  # whole words: the facts are learnt in fewer steps
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "pretrain": {
                "held_out": "qs",
                "n_records": 6000,
                "max_length": 96,
                "training": {
                    "learning_rate": 3e-3,
                    "per_device_train_batch_size": 16,
                    "warmup_steps": 30,
                    "lr_scheduler_type": "cosine",
                },
            },
        }
    }
}


def test_a_model_fine_tuned_on_a_family_scores_above_one_that_never_saw_it(tmp_path):
    """Pairs (round's model, family with a format of its own): those whose labeled
    set held 4 or more of the family's records against those that held none."""
    config = tiny_config(
        datasets={"demo": {"generate": {"n_records": 200, "seed": 1}}},
        models=PRETRAINED_TINY,
        diverse_evol={
            "n_round": 1,
            "n_query": 90,
            "training": {
                "num_train_epochs": 30,
                "learning_rate": 1e-3,
                "per_device_train_batch_size": 8,
            },
        },
        evaluation={
            "testsets": {"qs": {"generate": {"dataset": "demo", "per_family": 5, "seed": 1}}},
            "generation": {"max_new_tokens": 24, "temperature": 0.0, "batch_size": 16},
            "opponents": {"rd0": {"round": 0}},
            "exact_match": {"replicates": {"k-center": ["kc"]}},
        },
    )
    config["runs"] = {"kc": TINY_CONFIG["runs"]["kc"]}
    write_config(tmp_path, config)
    run_snakemake(tmp_path)
    results = tmp_path / "results/kc"
    accuracy = pd.read_csv(results / "accuracy/qs.tsv", sep="\t").set_index(["model", "family"])
    counts = pd.read_csv(results / "selection_summary.tsv", sep="\t").set_index("round")
    seen = pd.DataFrame(
        {
            "round": round,
            "family": family,
            "records": counts.get(family, pd.Series(0, counts.index))[round],
            "accuracy": accuracy.loc[(f"rd_{round}", family), "accuracy"],
        }
        for round in (0, 1)
        for family in ANSWER_FORMATS
    )
    trained, unseen = seen[seen.records >= 4], seen[seen.records == 0]
    assert len(trained) and len(unseen), seen
    assert trained.accuracy.mean() > unseen.accuracy.mean(), seen
    assert trained.accuracy.max() >= 0.6, seen  # one family learnt, not one lucky answer


def test_html_report_holds_plots_and_tables(completed_run):
    run_snakemake(completed_run, "--report", "report.html")
    html = (completed_run / "report.html").read_text(errors="replace")
    for name in ("judge.png", "vendi.png", "selection_summary.png", "summary.tsv", "vendi.tsv"):
        assert name in html


def loopback_judge(server, **settings) -> dict:
    """The judge block of a config that asks ``server``, a LoopbackJudge."""
    return {
        "backend": "openai",
        "model": "m",
        "base_url": server.url,
        "api_key_env": "LOOPBACK_JUDGE_KEY",
        "cache": "results/judge_cache.sqlite",
        **settings,
    }


def test_switching_to_an_api_judge_pays_each_comparison_once(completed_run, tmp_path):
    from loopback_judge import LoopbackJudge

    completed_run = shutil.copytree(completed_run, tmp_path / "copy", symlinks=True)
    with LoopbackJudge(slow_seconds=0.3) as server:
        judge = loopback_judge(server, timeout=0.2)
        config = tiny_config()
        config["evaluation"]["judge"] = judge
        write_config(completed_run, config, "api.yaml")
        env = {**os.environ, "LOOPBACK_JUDGE_KEY": "not-a-real-key"}
        # one job at a time, so that two jobs never ask for the same comparison at once
        run_snakemake(completed_run, "--cores", "1", configfile="api.yaml", env=env)
        asked = sum(server.requests.values())
        assert set(server.served.values()) == {1}
        for path in (completed_run / "results").rglob("rd_*_vs_*.jsonl"):
            for line in path.read_text().splitlines():
                record = json.loads(line)
                assert record["judge"] == "openai:m"
                assert record["eval_QUERY0"] == [7.0, 4.0] and record["eval_QUERY1"] == [4.0, 7.0]
        run_snakemake(completed_run, "--forcerun", "judge", configfile="api.yaml", env=env)
        assert sum(server.requests.values()) == asked


def test_a_judge_that_writes_no_verdicts_fails_its_jobs_and_is_asked_again(completed_run, tmp_path):
    from loopback_judge import LoopbackJudge

    completed_run = shutil.copytree(completed_run, tmp_path / "copy", symlinks=True)
    reply = ["I like both answers."]
    env = {**os.environ, "LOOPBACK_JUDGE_KEY": "not-a-real-key"}
    with LoopbackJudge(faults=False, reply=lambda prompt: reply[0]) as server:
        config = tiny_config()
        config["evaluation"]["judge"] = loopback_judge(server)
        write_config(completed_run, config, "api.yaml")
        options = {"configfile": "api.yaml", "env": env}
        failed = run_snakemake(completed_run, "--until", "judge", check=False, **options)
        assert failed.returncode != 0
        assert re.search(  # on the console, with the file, the share and a reply
            r"_vs_\w+\.jsonl: 12 of 12 judge replies \(100%\) have no score line, more than "
            r"evaluation\.judge\.max_unparsed \(10%\); a reply: 'I like both answers\.'",
            failed.stderr,
        ), failed.stderr[-3000:]
        assert not list((completed_run / "results").rglob("judge/*/*_vs_*.jsonl.tmp*"))
        unparsed = set(server.requests)
        reply[0] = "7 4\nLoopback judge."  # the judge mended
        run_snakemake(completed_run, "--until", "judge", **options)
        assert {server.requests[prompt] for prompt in unparsed} == {2}  # asked again


def mt_bench_replies(prompt: str) -> str:
    """A loopback judge: pairwise verdicts as DiverseEvol's template asks; MT-Bench
    ratings, without brackets for the second turn of the writing question."""
    if "[The Start of Assistant 1's Answer]" in prompt:
        return "7 4\nLoopback judge."
    if "Now make it rhyme." in prompt:
        return "Not bad: 5 out of 10."
    return "Correct. Rating: [[9]]" if "Reference" in prompt else "Rating: [[6]]"


def test_mt_bench_answers_both_turns_and_its_scores_land_in_the_model_table(
    completed_run, tmp_path
):
    from loopback_judge import LoopbackJudge

    work = shutil.copytree(completed_run, tmp_path / "copy", symlinks=True)
    questions = [
        {
            "question_id": 81,
            "category": "writing",
            "turns": ["Write a haiku.", "Now make it rhyme."],
        },
        {"question_id": 111, "category": "math", "turns": ["What is 3 * 7?", "And 3 * 8?"]},
    ]
    (work / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    reference = {"question_id": 111, "model_id": "gpt-4", "choices": [{"turns": ["21", "24"]}]}
    (work / "reference.jsonl").write_text(json.dumps(reference) + "\n")
    with LoopbackJudge(faults=False, reply=mt_bench_replies) as server:
        config = tiny_config()
        # one reply in four has no rating
        config["evaluation"]["judge"] = loopback_judge(server, max_unparsed=0.3)
        config["evaluation"]["mt_bench"] = {
            "questions": "questions.jsonl",
            "reference_answers": "reference.jsonl",
            "max_new_tokens": 6,
        }
        write_config(work, config)
        env = {**os.environ, "LOOPBACK_JUDGE_KEY": "not-a-real-key"}
        # the pairwise judgments stand: only the judge's settings changed, not their inputs
        targets = ("results/kc/models.tsv", "results/report/mt_bench.png")
        run_snakemake(work, *targets, "--rerun-triggers", "mtime", "input", env=env)

    answers = read_jsonl(work / "results/kc/mt_bench/rd_1_answers.jsonl")
    assert [a["question_id"] for a in answers] == [81, 111]
    assert all(len(a["choices"][0]["turns"]) == 2 for a in answers)
    judgments = read_jsonl(work / "results/kc/mt_bench/rd_1_judgments.jsonl")
    second = next(j for j in judgments if (j["question_id"], j["turn"]) == (111, 2))
    first_answer = answers[1]["choices"][0]["turns"][0]
    assert f"### Assistant A:\n{first_answer}\n\n### User:\nAnd 3 * 8?" in second["user_prompt"]
    assert [j["score"] for j in judgments] == [6.0, -1, 9.0, 9.0]
    table = pd.read_csv(work / "results/kc/models.tsv", sep="\t").set_index("model")
    assert list(table.index) == ["base", "rd_0", "rd_1", "rd_2"]
    assert table.loc["rd_1", "MT-Bench"] == pytest.approx(8.0)  # (6 + 9 + 9) / 3
    assert (
        table.loc["rd_1", "MT-Bench turn 2"] == 9.0 and table.loc["rd_1", "MT-Bench writing"] == 6
    )
    assert (table["MT-Bench unparsed"] == 1).all()
    assert (work / "results/report/mt_bench.png").stat().st_size > 10_000


def test_a_second_config_in_a_folder_in_use_is_refused(tmp_path):
    from selfalign.cluster.results_claim import claim

    config, _ = file_pool_config(tmp_path, [{"instruction": "Q", "output": "A"}] * 2)
    write_config(tmp_path, config)
    claim_file = tmp_path / "results/.running.json"
    round_0 = "results/kc/data/rd_0_labeled.tsv"  # no model needed
    with subprocess.Popen(["sleep", "60"]) as other:  # a run of another config, alive
        claim({"another": "config"}, ["other.yaml"], claim_file)
        record = json.loads(claim_file.read_text())
        claim_file.write_text(json.dumps(record | {"pid": other.pid}))
        warned = run_snakemake(tmp_path, "-n")
        assert "results/ is in use by another snakemake run with a different config" in (
            warned.stdout + warned.stderr
        )
        refused = run_snakemake(tmp_path, round_0, check=False)
        assert refused.returncode != 0 and "other.yaml" in refused.stderr
        assert not (tmp_path / "results/pools").exists()
        run_snakemake(tmp_path, round_0, "--nolock")  # asked for
        other.kill()
    run_snakemake(tmp_path, round_0, "--forcerun", "init_round")  # the other run has ended
    assert not claim_file.exists()


def test_each_round_is_trained_from_the_base_model(completed_run, tmp_path):
    results = completed_run / "results"
    retrained = tmp_path / "rd_1"
    torch.set_num_threads(2)
    settings = TINY_CONFIG["diverse_evol"]
    finetune(
        str(results / "models" / "tiny"),
        read(results / "kc/data/rd_1_labeled.json"),
        retrained,
        training=settings["training"],
        max_length=settings["max_length"],
        seed=settings["seed"],
    )
    ours = load_causal_lm(retrained).state_dict()
    theirs = load_causal_lm(results / "kc/output/rd_1").state_dict()
    for name, tensor in ours.items():
        torch.testing.assert_close(theirs[name], tensor, rtol=0, atol=1e-5)


def test_raising_n_round_plans_only_the_new_round_without_torch(completed_run):
    write_config(completed_run, tiny_config(diverse_evol={"n_round": N_ROUND + 1}), "more.yaml")
    result = run_snakemake(
        completed_run, "-n", configfile="more.yaml", python_flags=("-X", "importtime")
    )
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "snakemake" in imported
    assert not {"torch", "transformers", "vllm"} & imported
    jobs = planned_jobs(result.stdout + result.stderr)
    trained = sorted((w["run"], w["round"]) for rule, w in jobs if rule == "finetune")
    assert trained == [("kc", "3"), ("rand", "3")]
    assert sorted((w["run"], w["round"]) for rule, w in jobs if rule == "embed") == [("kc", "2")]
    assert sorted((w["run"], w["round"]) for rule, w in jobs if rule == "select") == [
        ("kc", "3"),
        ("rand", "3"),
    ]
    views = sorted((w["run"], w["round"], w["part"]) for rule, w in jobs if rule == "round_json")
    assert views == [(run, "3", part) for run in RUNS for part in ("labeled", "unlabeled")]
    assert not {"init_round", "prepare_pool", "build_base_model"} & {rule for rule, _ in jobs}


def test_forcerun_one_selection_reruns_it_and_what_depends_on_it(completed_run):
    result = run_snakemake(completed_run, "-n", "--forcerun", "results/kc/data/rd_1_labeled.tsv")
    jobs = planned_jobs(result.stdout + result.stderr)
    per_round = {(rule, w.get("round") or w["model"].removeprefix("rd_")) for rule, w in jobs
                 if "round" in w or "model" in w}  # fmt: skip
    assert {
        ("select", "1"),
        ("finetune", "1"),
        ("embed", "1"),
        ("select", "2"),
        ("finetune", "2"),
        ("answer", "1"),
        ("answer", "2"),
        ("judge", "2"),
        ("round_json", "1"),
        ("round_json", "2"),
    } <= per_round
    assert all(rd != "0" for _, rd in per_round), "nothing before round 1 reruns"
    assert {w.get("run") for _, w in jobs} <= {"kc", None}, "the random run is untouched"
    assert {rule for rule, w in jobs if "run" not in w} <= {
        "plot_selection",
        "plot_vendi",
        "plot_judgments",
        "plot_models",
        "plot_accuracy",
        "replicate_accuracy",
        "all",
    }


def test_rulegraph_draws_the_loop(completed_run):
    dot = run_snakemake(completed_run, "--rulegraph").stdout
    assert dot.lstrip().startswith("digraph")
    for rule in ("finetune", "embed", "select", "init_round"):
        assert rule in dot


def test_export_writes_each_rounds_data_as_a_hub_dataset_and_a_card_per_model(
    completed_run, tmp_path
):
    """`snakemake export` in a finished folder runs only its own jobs; each round loads
    with `datasets` by its name, in both forms, and push.json names the config's repos."""
    import datasets

    work = shutil.copytree(completed_run, tmp_path / "copy", symlinks=True)
    export = {"dataset_repo": "me/{run}-data", "model_repo": "me/{run}-{model}"}
    write_config(work, tiny_config(export=export))
    planned = {rule for rule, _ in planned_jobs(run_snakemake(work, "-n", "export").stdout)}
    assert planned == {"export_dataset", "export_model_cards", "export"}
    run_snakemake(work, "export")
    pushing = planned_jobs(run_snakemake(work, "-n", "push").stdout)  # uploads only when asked
    assert sorted(rule for rule, _ in pushing) == ["push", "push_run", "push_run"]
    folder = work / "results/kc/export"
    labeled = json.loads((work / "results/kc/data/rd_1_labeled.json").read_text())
    subset = datasets.load_dataset(str(folder / "dataset"), "rd_1", cache_dir=str(tmp_path / "hf"))
    rows = subset["train"].to_list()
    assert [r["id"] for r in rows] == [r["id"] for r in labeled]
    assert [r["output"] for r in rows] == [r["output"] for r in labeled]
    assert rows[0]["messages"][-1] == {"role": "assistant", "content": labeled[0]["output"]}
    card = (folder / "dataset/README.md").read_text()
    vendi = pd.read_csv(work / "results/kc/diversity/vendi.tsv", sep="\t")
    assert f"| rd_1 | {len(labeled)} |" in card and f"{vendi['vendi'][1]:.3f}" in card
    plan = json.loads((folder / "push.json").read_text())
    assert plan["dataset_repo"] == "me/kc-data"
    assert plan["models"]["rd_2"] == {"repo_id": "me/kc-rd_2", "folder": "results/kc/output/rd_2"}
    models = pd.read_csv(work / "results/kc/models.tsv", sep="\t").set_index("model")
    card = (folder / "model_cards/rd_1/README.md").read_text()
    assert f"| exact match qs | {models.loc['rd_1', 'exact match qs']:.4f} |" in card


def test_tracking_logs_each_fine_tune_and_each_runs_figures(completed_run, tmp_path):
    """Turned on in a finished folder, tracking reruns nothing but its own jobs; a
    fine-tune run again is a tracker run named by run and round, and each run's
    figures are logged one step a round, in TensorBoard and in wandb's offline files."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from wandb_offline import offline_run

    work = shutil.copytree(completed_run, tmp_path / "copy", symlinks=True)
    write_config(work, tiny_config(tracking={"report_to": ["tensorboard", "wandb"]}))
    planned = planned_jobs(run_snakemake(work, "-n").stdout)
    assert {rule for rule, _ in planned} == {"track_figures", "all"}
    run_snakemake(work, "--forcerun", "results/rand/output/rd_2")
    tracking = work / "results/tracking"

    def scalars(folder):
        events = EventAccumulator(str(folder)).Reload()
        return {
            tag: [(e.step, e.value) for e in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]
        }

    assert scalars(tracking / "tensorboard/rand/rd_2")["train/loss"]
    vendi = pd.read_csv(work / "results/kc/diversity/vendi.tsv", sep="\t")
    figures = scalars(tracking / "tensorboard/kc/figures")
    assert figures["selection/labeled"] == [(r, 12.0 * (r + 1)) for r in range(N_ROUND + 1)]
    assert [v for _, v in figures["diversity/vendi"]] == pytest.approx(list(vendi["vendi"]))
    assert [step for step, _ in figures["RS qs vs rd0"]] == [1, 2]  # rd_0 is the opponent
    for row in pd.read_csv(work / "results/kc/judge/summary.tsv", sep="\t").itertuples():
        pair = f"judge/{row.testset} vs {row.opponent}"
        outcomes = [dict(figures[f"{pair}/{o}"])[row.round] for o in ("win", "tie", "lose")]
        assert sum(outcomes) == row.n

    runs = [offline_run(f) for f in (tracking / "wandb").glob("offline-run-*")]
    names = {run["name"]: run for run in runs}
    assert set(names) == {"rand/rd_2", "kc/figures", "rand/figures"}
    assert {run["group"] for run in runs} == {"kc", "rand"}
    assert {run["project"] for run in runs} == {"selfalign"}
    assert any("train/loss" in values for values in names["rand/rd_2"]["history"].values())
    logged = names["kc/figures"]["history"]
    assert [logged[r]["diversity/vendi"] for r in range(N_ROUND + 1)] == pytest.approx(
        list(vendi["vendi"])
    )
    table = pd.read_csv(work / "results/kc/tracked_figures.tsv", sep="\t")
    assert set(table.columns) == {"step", "model", "metric", "value"}
    assert len(table) == sum(len(values) for values in figures.values())


def test_sigkill_mid_round_then_restart_gives_the_same_selection(completed_run, tmp_path):
    write_config(tmp_path, TINY_CONFIG)
    marker = tmp_path / "results/kc/logs/finetune/rd_1.log"
    process = subprocess.Popen(
        snakemake_command(tmp_path),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before round 1's training started"
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    half_done = tmp_path / "results/kc/output/rd_1"
    assert not half_done.exists() or (half_done / "model.safetensors").is_file()
    assert not (tmp_path / "results/kc/output/rd_2").exists()

    run_snakemake(tmp_path, "--unlock")
    run_snakemake(tmp_path)
    for run in RUNS:
        for round in range(N_ROUND + 1):
            for name in ("labeled.tsv", "labeled.json", "unlabeled.json"):
                name = f"results/{run}/data/rd_{round}_{name}"
                assert (tmp_path / name).read_bytes() == (completed_run / name).read_bytes()
    assert not list((tmp_path / "results").rglob("*.tmp*"))


BAD_CONFIGS = {
    "wrong type": (
        {"diverse_evol": {"n_query": "ten"}},
        "invalid config: diverse_evol.n_query: 'ten' is not of type 'integer'",
    ),
    "unknown key": (
        {"runs": {"kc": {"dataset": "demo", "model": "tiny", "colour": "red"}}},
        "invalid config: runs.kc: Additional properties are not allowed ('colour' was unexpected)",
    ),
    "budget over the pool": (
        {"diverse_evol": {"n_round": 10}},
        "invalid config: runs.kc: init_label_num + n_round * n_query = 12 + 10 * 12 = 132 "
        "exceeds the 120 records of dataset 'demo'",
    ),
    "a dataset name that climbs out of results/": (
        {"datasets": {"../../elsewhere/evil": {"generate": {"n_records": 120}}}},
        "invalid config: datasets: '../../elsewhere/evil' does not match",
    ),
    "a dataset name with a space": (
        {"datasets": {"my data": {"generate": {"n_records": 120}}}},
        "invalid config: datasets: 'my data' does not match",
    ),
    "a model name with a slash": (
        {"models": {"../m": {"name_or_path": "unused"}}},
        "invalid config: models: '../m' does not match",
    ),
    "MT-Bench graded by the offline proxy judge": (
        {"evaluation": {**TINY_CONFIG["evaluation"], "mt_bench": {"questions": "q.jsonl"}}},
        "evaluation.mt_bench is graded by evaluation.judge, and its backend 'reference'",
    ),
    "a replicate group with a slash": (
        {
            "evaluation": {
                **TINY_CONFIG["evaluation"],
                "exact_match": {"replicates": {"a/b": ["kc"]}},
            }
        },
        "invalid config: evaluation.exact_match.replicates: 'a/b' does not match",
    ),
    "undefined dataset": (
        {"runs": {"kc": {"dataset": "dolly", "model": "tiny"}}},
        "invalid config: runs.kc.dataset: 'dolly' is not defined under 'datasets'",
    ),
    "pre-training that holds out no generated test set": (
        {
            "models": {
                "tiny": {
                    "build": {
                        **TINY_CONFIG["models"]["tiny"]["build"],
                        "pretrain": {"held_out": "alpaca_eval"},
                    }
                }
            }
        },
        "invalid config: models.tiny.build.pretrain.held_out: 'alpaca_eval' is not a "
        "generated test set under evaluation.testsets (generated: ['qs'])",
    ),
}


@pytest.mark.parametrize(("change", "message"), BAD_CONFIGS.values(), ids=BAD_CONFIGS)
def test_invalid_config_stops_before_any_job_and_names_the_key(tmp_path, change, message):
    write_config(tmp_path, tiny_config(**change))
    result = run_snakemake(tmp_path, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "results").exists()


def test_dry_run_names_the_batch_key_that_the_profiles_gpu_count_breaks(tmp_path):
    training = {"per_device_train_batch_size": 4, "global_batch_size": 16}
    write_config(tmp_path, tiny_config(diverse_evol={"training": training}))
    run_snakemake(tmp_path, "-n", "--set-resources", "finetune:gpu=4")  # 4 GPUs x 4
    result = run_snakemake(tmp_path, "-n", "--set-resources", "finetune:gpu=8", check=False)
    assert result.returncode != 0
    assert (
        "invalid config: diverse_evol.training.per_device_train_batch_size=4 does not divide "
        "the 2 examples each of 8 processes takes a step for global_batch_size=16; set it to "
        "a divisor of 2 (rule finetune has 8 GPUs in the profile)"
    ) in result.stdout + result.stderr


def file_pool_config(tmp_path, records, **run):
    """A config whose pool is a JSON file; jobs up to the round-0 split need no model."""
    pool, text = (
        tmp_path / "pool.json",
        records if isinstance(records, str) else json.dumps(records),
    )
    if not pool.is_file() or pool.read_text() != text:  # same text: same mtime
        pool.write_text(text)
    runs = {"kc": {"dataset": "mine", "model": "tiny", "init_label_num": 2, "n_round": 0} | run}
    models = {"tiny": {"name_or_path": "unused"}}
    config = tiny_config(datasets={"mine": {"path": str(pool)}}, models=models)
    config["runs"] = runs
    del config["evaluation"]
    return config, pool


def test_bad_pool_file_is_named_with_its_line_and_nothing_after_it_runs(tmp_path):
    text = '[\n {"instruction": "a", "output": "b"},\n {"instruction": 3, "output": "c"}\n]'
    config, pool = file_pool_config(tmp_path, text)
    write_config(tmp_path, config)
    result = run_snakemake(tmp_path, check=False)
    assert result.returncode != 0
    log = (tmp_path / "results/logs/prepare_pool/mine.log").read_text()
    reason = f"{pool}:3: record 1: field 'instruction' must be a string, got int"
    assert reason in log
    assert f"DataError: {reason}" in result.stderr  # on the console, not only in the log
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["benchmarks", "logs"]


def test_planning_never_opens_a_pool_file(tmp_path):
    config, _ = file_pool_config(tmp_path, "this is not JSON, and planning must not notice")
    write_config(tmp_path, config)
    result = run_snakemake(tmp_path, "-n", python_flags=("-X", "importtime"))
    assert {rule for rule, _ in planned_jobs(result.stdout)} >= {"prepare_pool", "init_round"}
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert not {"torch", "transformers", "datasets", "selfalign.data.pools"} & imported


def test_the_budget_is_checked_where_the_pool_size_is_known(tmp_path):
    records = [{"instruction": f"Q{i}", "output": f"A{i}"} for i in range(20)]
    too_many, ok = {"n_round": 4, "n_query": 5}, {"n_round": 3, "n_query": 6}  # 22 or 20 of 20
    message = "invalid config: runs.kc: init_label_num + n_round * n_query = 2 + 4 * 5 = 22 " \
        "exceeds the 20 records of dataset 'mine'"  # fmt: skip
    # First run: only the job that reads the pool knows its size; it stops the run.
    config, _ = file_pool_config(tmp_path, records, **too_many)
    write_config(tmp_path, config)
    result = run_snakemake(tmp_path, check=False)
    assert result.returncode != 0
    assert message in (tmp_path / "results/logs/prepare_pool/mine.log").read_text()
    assert not (tmp_path / "results/pools/mine.arrow").exists()
    assert not (tmp_path / "results/kc").exists()
    # Once the pool is prepared, planning knows its size from the sidecar.
    write_config(tmp_path, file_pool_config(tmp_path, records, **ok)[0])
    run_snakemake(tmp_path, "results/kc/data/rd_0_labeled.tsv")
    write_config(tmp_path, file_pool_config(tmp_path, records, **too_many)[0])
    result = run_snakemake(tmp_path, "-n", check=False)
    assert result.returncode != 0 and message in result.stdout + result.stderr
    # A changed pool file is prepared again, with everything after it.
    write_config(tmp_path, file_pool_config(tmp_path, records + records[:1], **ok)[0])
    result = run_snakemake(tmp_path, "-n", "results/kc/data/rd_0_labeled.tsv")
    assert {rule for rule, _ in planned_jobs(result.stdout)} == {"prepare_pool", "init_round"}


def test_uncertainty_run_selects_the_least_confident_records(tmp_path):
    config = tiny_config(diverse_evol={"n_round": 1})
    config["runs"] = {"lc": {"dataset": "demo", "model": "tiny", "strategy": "least_confidence"}}
    del config["evaluation"]
    write_config(tmp_path, config)
    run_snakemake(tmp_path)
    results = tmp_path / "results"
    scores = pd.read_csv(results / "lc" / "token_scores" / "rd_0.tsv", sep="\t")
    pool = read_records(results / "pools" / "demo.arrow")
    assert scores["id"].astype(str).tolist() == [str(r["id"]) for r in pool]
    assert not (results / "lc" / "embeddings").exists()  # this strategy needs no embeddings
    before = {r["id"] for r in read(results / "lc" / "data" / "rd_0_labeled.json")}
    added = [r["id"] for r in read(results / "lc" / "data" / "rd_1_labeled.json")[INIT:]]
    candidates = scores[~scores["id"].isin(before)]
    expected = candidates.sort_values("mean_max_logit", kind="stable")["id"].head(N_QUERY)
    assert added == expected.tolist()


def test_a_lora_run_and_a_chat_template_run_share_a_config(tmp_path):
    lora = {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0, "target_modules": "all-linear"}
    config = tiny_config(diverse_evol={"n_round": 1})
    training = {**config["diverse_evol"]["training"], "peft": lora}
    config["runs"] = {
        "lora": {"dataset": "demo", "model": "tiny", "strategy": "kcenter", "training": training},
        "chat": {
            "dataset": "demo",
            "model": "tiny",
            "strategy": "kcenter",
            "prompt_format": "chat_template",
        },
    }
    config["evaluation"] |= {
        "opponents": {"rd0": {"round": 0}},
        "diversity": {"model": "tiny"},
        "exact_match": {},
    }
    write_config(tmp_path, config)
    run_snakemake(tmp_path)
    results = tmp_path / "results"
    base = load_causal_lm(results / "models" / "tiny").state_dict()
    for run, lm_head_trained in (("lora", False), ("chat", True)):
        for rd in (0, 1):
            model = results / run / "output" / f"rd_{rd}"
            assert not list(model.glob("adapter*")), "a LoRA round leaves a plain model"
            tuned = load_causal_lm(model).state_dict()
            assert torch.equal(tuned["lm_head.weight"], base["lm_head.weight"]) != lm_head_trained
        assert (results / run / "embeddings" / "rd_0.npy").exists()  # selected round 1
        answers = (results / run / "answers" / "qs" / "rd_1.jsonl").read_text().splitlines()
        assert len(answers) == 6
        assert len(read(results / run / "data" / "rd_1_labeled.json")) == INIT + N_QUERY
    finetune_log = (results / "chat" / "logs" / "finetune" / "rd_0.log").read_text()
    assert "<|user|>" in finetune_log  # the first example, as the chat template wrote it


def test_dry_run_warns_where_a_finetunes_model_states_outgrow_its_gpus(tmp_path):
    config = tiny_config()
    config["models"]["tiny"]["size"] = {
        "parameters": 6_738_415_616,  # LLaMA-7B
        "largest_layer_parameters": 131_072_000,
    }
    write_config(tmp_path, config)
    one_card = ("--set-resources", "finetune:gpu=1", "finetune:gpu_memory_gb=80")
    result = run_snakemake(tmp_path, "-n", *one_card)
    assert (
        "rule finetune: tiny (6.74B parameters) needs about 107.8 GB a GPU for weights, "
        "gradients and Adam states alone (no DeepSpeed, 1 GPUs), more than the 80 GB"
    ) in result.stdout + result.stderr
    config["diverse_evol"]["training"]["deepspeed"] = "config/deepspeed/zero2.json"
    write_config(tmp_path, config)
    result = run_snakemake(tmp_path, "-n", *one_card)
    assert "needs about 134.8 GB a GPU" in result.stdout + result.stderr  # ZeRO-2 on one GPU
    four = ("--set-resources", "finetune:gpu=4", "finetune:gpu_memory_gb=80")
    result = run_snakemake(tmp_path, "-n", *four)  # 43.8 GB a GPU
    assert "needs about" not in result.stdout + result.stderr


def dry_run_in_repository(*args: str) -> subprocess.CompletedProcess:
    """``snakemake --dry-run`` from the repository folder, as a user types it there."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_snakemake_with_no_flags_plans_the_demo():
    """From the repository folder: profiles/default's cores, config/config.yaml's runs."""
    result = dry_run_in_repository()
    assert "workflow specific profile" in result.stderr
    runs = {wildcards.get("run") for rule, wildcards in planned_jobs(result.stdout)}
    assert {"kc_demo", "rand_demo"} <= runs


def test_the_seeds_overlay_adds_two_seeds_of_each_strategy_to_the_demo():
    result = dry_run_in_repository("--configfile", "config/config.yaml", "config/seeds_demo.yaml")
    jobs = planned_jobs(result.stdout)
    seeds = {"", "_s43", "_s44"}
    assert {w.get("run") for _, w in jobs} - {None} == {
        f"{strategy}_demo{seed}" for strategy in ("kc", "rand") for seed in seeds
    }
    assert ("replicate_accuracy", {"testset": "demo_test"}) in jobs

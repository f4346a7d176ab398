"""Project-wide checks: style, the library's layering, Snakemake's linter, and the
shipped configs."""

import ast
import json
import re
import shutil
import subprocess
import sys
from collections import Counter

import pytest
from conftest import REPO, run_snakemake
from test_workflow import planned_jobs


def test_code_is_formatted_and_lint_clean():
    code = ["src", "tests", "workflow/scripts", "benchmarks", "docs"]
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", *code], cwd=REPO, check=True)
    subprocess.run([*ruff, "format", "--check", *code], cwd=REPO, check=True)


# The library's layers, lowest first: a package imports only from its own layer or
# those below, so that stages use data, io and cluster, never the reverse.
LAYERS = [
    {"io", "paths"},
    {"data", "cluster"},
    {"models"},
    {"train", "generate"},
    {"diverse_evol", "humback", "evaluate"},
    {"config", "plan", "cli", "export"},
]


def test_library_imports_run_from_stages_down_to_data():
    layer = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}
    src = REPO / "src" / "selfalign"
    upward = []
    for path in src.rglob("*.py"):
        parts = path.relative_to(src).with_suffix("").parts
        if parts == ("__init__",):
            continue
        package = parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("selfalign."):
                target = node.module.split(".")[1]
                if layer[target] > layer[package]:
                    upward.append(f"{path.relative_to(src)} imports {node.module}")
    assert set(layer) == {
        p.stem for p in src.iterdir() if p.stem not in ("__init__", "__pycache__")
    }
    assert not upward, upward


def test_config_reference_page_is_written_from_the_schema():
    script = REPO / "docs" / "config_reference.py"
    result = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.workflow
def test_snakemake_lint_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_local_rules_say_so_where_they_are_defined():
    sources = [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]
    texts = [path.read_text() for path in sources]
    assert not any(re.search(r"^localrules\s*:", text, re.M) for text in texts)
    local = {
        name
        for text in texts
        for name in re.findall(r"^rule (\w+):\n    localrule: True$", text, re.M)
    }
    assert {
        "all",
        "prepare_pool",
        "init_round",
        "judge",
        "humback_augment_merge",
        "humback_curate",
    } <= local
    assert not {"finetune", "embed", "select", "answer", "humback_curate_shard"} & local


def alpaca_eval_stand_in(folder):
    path = folder / "data/alpaca_eval/text_davinci_003_model_outputs.json"
    path.parent.mkdir(parents=True)
    path.write_text('[{"instruction": "Why?", "output": "Because.", "generator": "ref"}]')


@pytest.mark.workflow
def test_paper_config_plans_every_model_and_judgment(tmp_path):
    """config/diverseevol_dolly.yaml on a stand-in Dolly file of the paper's budget."""
    (tmp_path / "data").mkdir()
    lines = [
        json.dumps(
            {
                "instruction": f"Question {i}?",
                "context": "",
                "response": f"Answer {i}.",
                "category": "open_qa",
            }
        )
        for i in range(1100)
    ]
    (tmp_path / "data" / "databricks-dolly-15k.jsonl").write_text("\n".join(lines) + "\n")
    release = tmp_path / "data" / "diverseevol"
    for name in ("vicuna", "koala", "wizardlm"):
        path = release / "test_data" / f"{name}_test_set.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"id": "q1", "instruction": "Why?"}\n')
    for name in ("vicuna", "koala", "wizardlm"):
        chat = release / f"answer_reference/{name}_test/gpt/gpt35_0624.jsonl"
        chat.parent.mkdir(parents=True)
        chat.write_text('{"id": "q1", "instruction": "Why?", "answer": "Because."}\n')
    alpaca_eval_stand_in(tmp_path)
    shutil.copy(REPO / "config" / "diverseevol_dolly.yaml", tmp_path / "config.yaml")
    result = run_snakemake(tmp_path, "-n")
    jobs = Counter(rule for rule, _ in planned_jobs(result.stdout + result.stderr))
    assert jobs["finetune"] == 22 and jobs["select"] == 20 and jobs["init_round"] == 2
    assert jobs["embed"] == 10  # k-center embeds after rounds 0-9; random never embeds
    assert "build_base_model" not in jobs  # a hub model is loaded, not built
    assert jobs["answer"] == 22 * 3
    assert jobs["judge"] == 22 * 3 + 20 * 3  # vs ChatGPT and vs round 0, on every test set
    for rule in ("alpaca_eval_outputs", "alpaca_eval_judge", "lm_eval"):
        assert jobs[rule] == 22 + 2  # every round's model and each run's base model

    # the release's other runs on Dolly, as overlays: its uncertainty baselines, and
    # all of Dolly (its 15,011 records; the stand-in here has 1,100)
    overlays = REPO / "config" / "diverseevol_release"
    result = run_snakemake(
        tmp_path,
        "-n",
        "--configfile",
        str(tmp_path / "config.yaml"),
        str(overlays / "uncertainty.yaml"),
    )
    jobs = Counter(rule for rule, _ in planned_jobs(result.stdout + result.stderr))
    assert jobs["finetune"] == 44 and jobs["score_tokens"] == 20 and jobs["embed"] == 10
    baseline = (overlays / "baseline.yaml").read_text().replace("15011", "1100")
    (tmp_path / "baseline.yaml").write_text(baseline)
    result = run_snakemake(
        tmp_path,
        "-n",
        "--configfile",
        str(tmp_path / "config.yaml"),
        str(tmp_path / "baseline.yaml"),
    )
    jobs = Counter(rule for rule, _ in planned_jobs(result.stdout + result.stderr))
    assert jobs["finetune"] == 23 and jobs["select"] == 20  # one model on the whole pool


@pytest.mark.workflow
def test_humback_paper_config_plans_every_stage(tmp_path):
    """config/humback.yaml on stand-in oasst and web files."""
    oasst = tmp_path / "data/oasst1/2023-04-12_oasst_ready.trees.jsonl"
    web = tmp_path / "data/falcon-refinedweb/sample.jsonl"
    vicuna = tmp_path / "data/diverseevol/test_data/vicuna_test_set.jsonl"
    for path in (oasst, web, vicuna):
        path.parent.mkdir(parents=True)
        path.write_text('{"id": "q1", "instruction": "Why?"}\n')
    alpaca_eval_stand_in(tmp_path)
    shutil.copy(REPO / "config" / "humback.yaml", tmp_path / "config.yaml")
    result = run_snakemake(tmp_path, "-n")
    jobs = Counter(rule for rule, _ in planned_jobs(result.stdout + result.stderr))
    assert jobs["humback_augment_shard"] == 16 and jobs["humback_augment_merge"] == 1
    assert jobs["humback_finetune"] == 4  # backward, M0, M1, M2
    assert jobs["humback_curate_shard"] == 2 * 16 and jobs["humback_curate"] == 2
    assert jobs["answer"] == 3 and jobs["judge"] == 2  # M1 and M2 against M0, on vicuna
    assert jobs["alpaca_eval_judge"] == jobs["lm_eval"] == 4  # base, M0, M1, M2

    # every row of the unofficial release's README: overlays on the paper's config
    release = [str(REPO / "config" / "humback_release.yaml")]
    rows = sorted((REPO / "config" / "humback_release").glob("*.yaml"))
    assert len(rows) == 5  # M1 w/o DiffSysPrompt, +strict, +1,200/1,800/2,400 steps
    for overlay in [[], *([str(row)] for row in rows)]:
        files = [str(tmp_path / "config.yaml"), *release, *overlay]
        result = run_snakemake(tmp_path, "-n", "--configfile", *files)
        jobs = Counter(rule for rule, _ in planned_jobs(result.stdout + result.stderr))
        assert jobs["humback_finetune"] == 3 and jobs["humback_curate"] == 1  # backward, M0, M1

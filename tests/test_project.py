"""Project-wide checks: style, Snakemake's linter, and the shipped configs."""

import json
import shutil
import subprocess
import sys
from collections import Counter

from conftest import REPO, run_snakemake
from test_workflow import planned_jobs


def test_code_is_formatted_and_lint_clean():
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "src", "tests", "workflow/scripts"], cwd=REPO, check=True)
    subprocess.run([*ruff, "format", "--check", "src", "tests", "workflow/scripts"], cwd=REPO,
                   check=True)  # fmt: skip


def test_snakemake_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lints for" not in result.stdout + result.stderr


def test_paper_config_plans_eleven_models_per_run(tmp_path):
    """config/diverseevol_dolly.yaml on a stand-in Dolly file of the paper's budget."""
    (tmp_path / "data").mkdir()
    lines = [
        json.dumps({"instruction": f"Question {i}?", "context": "", "response": f"Answer {i}.",
                    "category": "open_qa"})
        for i in range(1100)
    ]  # fmt: skip
    (tmp_path / "data" / "databricks-dolly-15k.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(REPO / "config" / "diverseevol_dolly.yaml", tmp_path / "config.yaml")
    result = run_snakemake(tmp_path, "-n")
    jobs = Counter(rule for rule, _ in planned_jobs(result.stdout + result.stderr))
    assert jobs["finetune"] == 22 and jobs["select"] == 20 and jobs["init_round"] == 2
    assert jobs["embed"] == 10  # k-center embeds after rounds 0-9; random never embeds
    assert "build_base_model" not in jobs  # a hub model is loaded, not built

"""Each rule in its own environment: Snakemake's env-modules deployment with Lmod
(tests/cluster/lmod.py) and the modulefiles in envs/modules, here and on the SLURM
test cluster. Generation runs through vLLM in .venv-vllm, everything else in .venv.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TINY_CONFIG, run_snakemake, snakemake_command, write_config
from test_humback_workflow import humback_config
from test_vllm import CPU_ENGINE, VLLM_ENV, needs_vllm

sys.path.insert(0, str(Path(__file__).parent / "cluster"))
import lmod
from test_slurm_cluster import cluster, job_env, needs_cluster, small_node_profile  # noqa: F401

pytestmark = pytest.mark.vllm  # the vLLM environment and Lmod

# the logs of generation jobs (augment and curation shards); any other log is training's
GENERATION_LOG = re.compile(r"(augment|curate_\d+)_\d+_of_\d+\.log")


def vllm_humback_config() -> dict:
    """Humback on a model vLLM's CPU attention takes; augmentation and curation by vLLM."""
    config = humback_config(
        generation={"backend": "vllm", "batch_size": 12, "vllm": CPU_ENGINE},
        # greedy: on vLLM's CPU build sampled draws depend on the batching (no per-request seed)
        augment={"shards": 1, "max_new_tokens": 8, "temperature": 0.0},
        # a tiny model writes no "Score: N": the run goes on with the seed (allow_empty)
        curate={
            "scorer": "model",
            "threshold": 1,
            "shards": 1,
            "max_new_tokens": 8,
            "allow_empty": True,
        },
        n_iterations=1,
    )
    model = copy.deepcopy(TINY_CONFIG["models"]["tiny"])
    model["build"].update(num_attention_heads=2, head_dim=64, max_position_embeddings=2048)
    config["models"] = {"tiny": model}
    config["datasets"] = {"demo": config["datasets"]["demo"]}
    config.pop("runs")
    return config


def with_modules(env: dict) -> dict:
    try:
        return lmod.module_env(env, REPO / "envs" / "modules")
    except lmod.LmodUnavailable as err:
        pytest.skip(f"no Lmod: {err}")


def interpreters(results: Path) -> dict[str, str]:
    """The python each job ran, by log file, from the ``python:`` line of its log."""
    found = {}
    for log in results.rglob("logs/**/*.log"):
        match = re.search(r"python: (\S+)", log.read_text())
        if match:
            found[log.name] = match.group(1)
    return found


def assert_each_rule_ran_in_its_environment(results: Path) -> None:
    used = interpreters(results)
    generation = {log for log in used if GENERATION_LOG.fullmatch(log)}
    assert len(generation) == 2 and len(used) > 6  # augment, curate; seed, pool, fine-tunes...
    for log, python in used.items():
        venv = VLLM_ENV if log in generation else REPO / ".venv"
        assert python == str(venv / "bin" / "python"), log


@pytest.fixture(scope="module")
def local_module_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("modules")
    write_config(workdir, vllm_humback_config())
    env = with_modules(
        {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    )
    run_snakemake(workdir, "--sdm", "env-modules", env=env)
    return workdir


@needs_vllm
def test_every_rule_loads_its_module_and_vllm_generates(local_module_run):
    results = local_module_run / "results"
    assert_each_rule_ran_in_its_environment(results)
    for log in (results / "hb" / "logs" / "humback").glob("*_of_*.log"):
        assert "Initializing a V1 LLM engine" in log.read_text()  # vLLM's own log line
    curation = (results / "hb" / "humback" / "curation_1.jsonl").read_text()
    assert curation.strip()


@needs_vllm
def test_a_plain_local_run_generates_in_the_vllm_environment(local_module_run, tmp_path):
    """No --sdm, no modules: the augment job runs its script again with .venv-vllm's
    python, and writes what the env-modules run wrote."""
    write_config(tmp_path, vllm_humback_config())
    run_snakemake(tmp_path, "--until", "humback_augment_merge")
    used = interpreters(tmp_path / "results")
    assert Path(used["augment_0_of_1.log"]).parent == VLLM_ENV / "bin"
    assert Path(used["finetune_backward.log"]).parent == Path(sys.executable).parent
    augmented = "hb/humback/augmented.jsonl"
    assert (tmp_path / "results" / augmented).read_text() == (
        local_module_run / "results" / augmented
    ).read_text()


def test_without_a_vllm_environment_the_dry_run_says_how_to_build_one(tmp_path):
    repository = tmp_path / "repository"  # this one, without its .venv-vllm
    repository.mkdir()
    for part in ("Snakefile", "workflow", "src", "profiles", "config"):
        copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy
        copy(REPO / part, repository / part)
    workdir = tmp_path / "run"
    write_config(workdir, vllm_humback_config())
    command = snakemake_command(workdir, "-n")
    command[command.index("--snakefile") + 1] = str(repository / "Snakefile")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert (
        f"generation.backend vllm needs the vLLM environment, and "
        f"{repository}/.venv-vllm/bin/python does not exist: build it with "
        f"envs/install-venvs.sh"
    ) in result.stdout + result.stderr


@needs_vllm
@needs_cluster
def test_slurm_jobs_load_the_same_modules_and_match_the_local_run(
    cluster,  # noqa: F811
    local_module_run,
    tmp_path,
):
    workdir = tmp_path / "work"
    write_config(workdir, vllm_humback_config())
    profile = small_node_profile(tmp_path / "profile", cluster["cpus"])
    result = subprocess.run(
        [
            *(sys.executable, "-m", "snakemake", "--snakefile", REPO / "Snakefile"),
            *("--profile", profile, "--configfile", workdir / "config.yaml"),
            *("--sdm", "env-modules"),
        ],
        cwd=workdir,
        env=with_modules(job_env()),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    assert "has been submitted with SLURM jobid" in result.stdout + result.stderr
    assert_each_rule_ran_in_its_environment(workdir / "results")
    stage = Path("results/hb/humback")
    for name in ("augmented.jsonl", "curation_1.jsonl", "curated_1.jsonl", "train_M1.json"):
        ours = (workdir / stage / name).read_bytes()
        assert ours == (local_module_run / stage / name).read_bytes(), name

"""Shared helpers: a tiny model, a tiny workflow config, the Snakemake CLI."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# The demo's shape at a size that keeps a whole workflow run near a minute.
TINY_CONFIG = {
    "datasets": {"demo": {"generate": {"n_records": 120, "seed": 1}}},
    "models": {
        "tiny": {
            "build": {
                "dataset": "demo",
                "vocab_size": 384,
                "hidden_size": 32,
                "intermediate_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "max_position_embeddings": 128,
            }
        }
    },
    "diverse_evol": {
        "init_label_num": 12,
        "n_round": 2,
        "n_query": 12,
        "seed": 7,
        "max_length": 96,
        "embedding": {"batch_size": 16},
        "training": {
            "num_train_epochs": 1,
            "learning_rate": 3e-3,
            "per_device_train_batch_size": 8,
        },
    },
    "runs": {
        "kc": {"dataset": "demo", "model": "tiny", "strategy": "kcenter"},
        "rand": {"dataset": "demo", "model": "tiny", "strategy": "random"},
    },
    "evaluation": {
        "testsets": {"qs": {"generate": {"dataset": "demo", "n_records": 6}}},
        "generation": {"max_new_tokens": 8, "temperature": 0.0, "batch_size": 8},
        "judge": {"backend": "reference"},
        "opponents": {"rd0": {"round": 0}, "random": {"run": "rand"}},
        "diversity": {"model": "tiny"},
        "exact_match": {"replicates": {"k-center": ["kc"], "random": ["rand"]}},
    },
}


def tiny_config(**overrides) -> dict:
    """A deep copy of TINY_CONFIG with top-level blocks merged from ``overrides``."""
    config = copy.deepcopy(TINY_CONFIG)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def write_config(workdir: Path, config: dict, name: str = "config.yaml") -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake_command(
    workdir: Path, *args: str, configfile: str = "config.yaml", python_flags: tuple = ()
) -> list[str]:
    """The real Snakemake CLI on this repository's Snakefile, run in ``workdir``."""
    return [
        sys.executable,
        *python_flags,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / configfile),
        "--cores",
        "2",
        *args,
    ]


def run_snakemake(
    workdir: Path, *args: str, check: bool = True, env: dict | None = None, **options
):
    result = subprocess.run(
        snakemake_command(workdir, *args, **options),
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result


# What a test needs, read from its fixtures, marks it (see pyproject's markers):
# `pytest -m "not (workflow or cluster or vllm or slow)"` is the edit loop.
MARK_BY_FIXTURE = {
    "completed_run": "workflow",
    "humback_run": "workflow",
    "cluster": "cluster",
    "vllm_model": "vllm",
    "vllm_server": "vllm",
    "local_module_run": "vllm",
    "smollm2_dir": "slow",
}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture in set(getattr(item, "fixturenames", ())) & MARK_BY_FIXTURE.keys():
            item.add_marker(MARK_BY_FIXTURE[fixture])


@pytest.fixture(scope="session")
def demo_records():
    from selfalign.data.demo import generate_demo_records

    return generate_demo_records(80, seed=3)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, demo_records):
    """A tiny LLaMA model and tokenizer, built here like the workflow builds them."""
    from selfalign.train.tiny_model import build_tiny_model

    path = tmp_path_factory.mktemp("models") / "tiny"
    build = dict(TINY_CONFIG["models"]["tiny"]["build"], seed=0)
    del build["dataset"]
    build_tiny_model(demo_records, path, **build)
    return path


@pytest.fixture(scope="session")
def completed_run(tmp_path_factory):
    """The workflow run to completion once on the tiny config."""
    workdir = tmp_path_factory.mktemp("complete")
    write_config(workdir, TINY_CONFIG)
    run_snakemake(workdir)
    return workdir


SMOLLM2_CONFIG = REPO / "config" / "smollm2.yaml"


@pytest.fixture(scope="session")
def smollm2_dir(tmp_path_factory):
    """SmolLM2-135M-Instruct, converted from the GGUF file of config/smollm2.yaml as
    the workflow converts it (envs/install-venvs.sh installs the package)."""
    from selfalign.models.gguf import convert_gguf, locate_gguf

    spec = yaml.safe_load(SMOLLM2_CONFIG.read_text())["models"]["smollm2"]["gguf"]
    try:
        path = locate_gguf(spec)
    except FileNotFoundError as err:
        pytest.skip(str(err))
    out = tmp_path_factory.mktemp("smollm2") / "model"
    convert_gguf(path, out, spec["dtype"])
    return out

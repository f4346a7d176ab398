"""Which Python environment runs a generation job.

vLLM never shares an environment with training. With ``--sdm conda`` or
``--sdm env-modules`` Snakemake runs each generation job in the vLLM one; a
plain local run starts every job with Snakemake's own python, so a job whose
backend is vLLM runs its script again with the vLLM environment's python
(``.venv-vllm`` beside the Snakefile, built by envs/install-venvs.sh), as
Snakemake itself does for ``envmodules:``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

VLLM_ENV = ".venv-vllm"


def workflow_root(script_dir: str | Path) -> Path:
    """The folder of the Snakefile above a job's script folder (Snakemake gives that
    folder unresolved, e.g. ``workflow/rules/../scripts``)."""
    folder = Path(script_dir).resolve()
    return next((p for p in (folder, *folder.parents) if (p / "Snakefile").is_file()), folder)


def vllm_python(repository: str | Path) -> Path:
    return Path(repository) / VLLM_ENV / "bin" / "python"


def has_vllm() -> bool:
    """Whether this python can import vLLM (without importing it)."""
    return importlib.util.find_spec("vllm") is not None


def missing_vllm(repository: str | Path) -> str:
    return (
        f"generation.backend vllm needs the vLLM environment, and {vllm_python(repository)} "
        f"does not exist: build it with envs/install-venvs.sh (from {repository}), or run with "
        f"--sdm conda or --sdm env-modules"
    )


def run_in_vllm_environment(backend: str, repository: str | Path) -> None:
    """Where ``backend`` is vllm and this python has no vLLM, replace this process with
    the same script under the vLLM environment's python."""
    if backend != "vllm" or has_vllm():
        return
    python = vllm_python(repository)
    if not python.is_file():
        raise RuntimeError(missing_vllm(repository))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(python, [str(python), *sys.argv])

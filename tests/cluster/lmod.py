"""Lmod from Debian's ``lmod`` package, for Snakemake's env-modules deployment.

``bash_init()`` installs the package with apt-get where it is missing (root on
Debian) and returns Lmod's bash start-up file: with it as BASH_ENV, every bash
that Snakemake starts, here or in a SLURM job, has the ``module`` command.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

INIT = Path("/usr/share/lmod/lmod/init/bash")


class LmodUnavailable(RuntimeError):
    """Lmod cannot be set up here; the message says why."""


def bash_init(timeout: float = 600) -> Path:
    if not INIT.is_file():
        _install(timeout)
    return INIT


def _install(timeout: float) -> None:
    if os.geteuid() != 0 or not Path("/etc/debian_version").exists():
        raise LmodUnavailable("needs root on Debian to apt-get install lmod")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "lmod"]

    def run(command):
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)

    result = run(install)
    if result.returncode != 0:  # stale package lists
        run(["apt-get", "update", "-q"])
        result = run(install)
    if not INIT.is_file():
        raise LmodUnavailable(f"apt-get install lmod failed: {result.stderr[-2000:]}")


def module_env(env: dict, modulepath: Path) -> dict:
    """``env`` with Lmod's ``module`` in every bash and ``modulepath`` to search."""
    return {**env, "BASH_ENV": str(bash_init()), "MODULEPATH": str(modulepath)}

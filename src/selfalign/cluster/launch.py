"""How a job uses the GPUs it holds: processes, the launch command, vLLM's tensor parallelism.

Everything is derived from the job's resources (``gpu``: GPUs in all, as SLURM's
``--gpus``; or ``gres: gpu:N``, GPUs per node, as SLURM's ``--gres``; ``nodes``),
so a user scales a step by editing the profile, never the workflow config.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

TRAINING_ENTRY = "selfalign.train"
ATTENTION_VARIABLE = "SELFALIGN_ATTN_IMPLEMENTATION"  # read by selfalign.models.loading


@dataclass(frozen=True)
class JobShape:
    """GPUs per node and nodes of one job; no GPU means one CPU process per node."""

    gpus_per_node: int = 0
    nodes: int = 1

    @classmethod
    def from_resources(cls, resources) -> JobShape:
        nodes = int(resources.get("nodes", 1) or 1)
        per_node = gres_gpus(resources.get("gres"))
        if per_node:
            return cls(per_node, nodes)
        gpus = int(resources.get("gpu", 0) or 0)
        if gpus % nodes:
            raise ValueError(
                f"resources: gpu={gpus} (GPUs in all) is not a multiple of nodes={nodes}; "
                "give every node the same number of GPUs in the profile"
            )
        return cls(gpus // nodes, nodes)

    @property
    def processes_per_node(self) -> int:
        return max(1, self.gpus_per_node)

    @property
    def world_size(self) -> int:
        return self.processes_per_node * self.nodes


def use_job_resources(resources) -> None:
    """What a GPU job does first: lock its GPUs (``gpu``, on one machine) and hand
    its ``attn_implementation`` (sdpa, eager, flash_attention_2, ...) to every
    model it and its processes load with transformers, through the environment."""
    from selfalign.cluster.gpus import claim_gpus

    claim_gpus(int(resources.get("gpu", 0) or 0))
    attention = resources.get("attn_implementation")
    if attention:
        os.environ[ATTENTION_VARIABLE] = str(attention)


def start_generation_job(job) -> None:
    """What a generation job does first: re-run itself in the vLLM environment where
    its backend is vLLM, log to its log file, then take its GPUs (``use_job_resources``)
    and its threads. ``job`` is the script's ``snakemake`` object."""
    import torch

    from selfalign.cluster.environments import run_in_vllm_environment, workflow_root
    from selfalign.cluster.logs import log_to

    run_in_vllm_environment(job.params.generation["backend"], workflow_root(job.scriptdir))
    log_to(job.log[0])
    use_job_resources(job.resources)
    torch.set_num_threads(job.threads)


def gres_gpus(gres: str | None) -> int:
    """GPUs per node in a SLURM gres string: ``gpu:8``, ``gpu:a100:8``, ``gpu`` (1)."""
    for item in (gres or "").split(","):
        name, *rest = item.strip().split(":")
        if name == "gpu":
            return int(rest[-1]) if rest and rest[-1].isdigit() else 1
    return 0


def head_node() -> str:
    """The first host of this job's SLURM allocation: where torchrun's rendezvous lives."""
    nodelist = os.environ.get("SLURM_JOB_NODELIST")
    if not nodelist:
        raise RuntimeError(
            "a multi-node job needs its SLURM allocation (SLURM_JOB_NODELIST is not set); "
            "run it through the SLURM profile, or give the rule one node"
        )
    hosts = subprocess.run(
        ["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, check=True
    ).stdout.split()
    return hosts[0]


def training_command(
    shape: JobShape, entry_args: list[str], *, rendezvous: str = "127.0.0.1:29500", job_id="0"
) -> list[str]:
    """The command that runs the training entry point with one process per GPU.

    One process: plain Python. One node: ``torchrun --standalone``. Several
    nodes: ``srun`` starts one torchrun per node, which meet at ``rendezvous``.
    DeepSpeed and FSDP come from the training arguments, not the launcher.
    """
    entry = ["-m", TRAINING_ENTRY, *entry_args]
    if shape.world_size == 1:
        return [sys.executable, *entry]
    torchrun = [sys.executable, "-m", "torch.distributed.run"]
    torchrun += [f"--nproc_per_node={shape.processes_per_node}", f"--nnodes={shape.nodes}"]
    if shape.nodes == 1:
        return [*torchrun, "--standalone", *entry]
    srun = ["srun", "--overlap", f"--nodes={shape.nodes}", "--ntasks-per-node=1"]
    srun.append("--kill-on-bad-exit=1")
    rdzv = ["--rdzv_backend=c10d", f"--rdzv_endpoint={rendezvous}", f"--rdzv_id={job_id}"]
    return [*srun, *torchrun, *rdzv, *entry]


def tensor_parallel_size(visible_gpus: int) -> int:
    """vLLM shards a model over all the job's GPUs (at least one)."""
    return max(1, visible_gpus)

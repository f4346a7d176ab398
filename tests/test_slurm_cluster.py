"""profiles/slurm on a real single-node SLURM cluster (tests/cluster/slurm_cluster.py).

Root on Debian only: the fixture installs slurm-wlm and munge with apt-get when
they are missing, starts munged, slurmctld and slurmd, and stops them at the end.
Anywhere else these tests skip.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TINY_CONFIG, tiny_config, write_config

sys.path.insert(0, str(Path(__file__).parent / "cluster"))
import slurm_cluster

pytestmark = pytest.mark.cluster  # a real SLURM controller

RUNS = ("kc", "rand")
PROFILE = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
GPU_RULES = {
    rule for rule, res in PROFILE["set-resources"].items() if res.get("slurm_partition") == "gpu"
}
# the whole SLURM run; Snakemake ignores SIGTERM while it waits on jobs: this kills it
RUN_TIMEOUT = 900

UNAVAILABLE = slurm_cluster.unavailable_reason()
if UNAVAILABLE is None and importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
    UNAVAILABLE = "pip install snakemake-executor-plugin-slurm to test profiles/slurm"
needs_cluster = pytest.mark.skipif(UNAVAILABLE is not None, reason=f"no SLURM: {UNAVAILABLE}")


def test_the_local_profile_sets_nothing_a_cluster_profile_sets():
    """Snakemake reads profiles/default beside any --profile, and its keys win: it may
    share a key with the cluster profile only where both say the same."""
    default = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text())
    assert set(default) == {"cores", "rerun-incomplete"}
    assert all(PROFILE[key] == default[key] for key in set(default) & set(PROFILE))
    for rule in GPU_RULES:
        resources = PROFILE["set-resources"][rule]
        assert resources["gpu"] >= 1 and PROFILE["set-threads"][rule] >= 1


@pytest.fixture(scope="module")
def cluster():
    """The test cluster, started for this module and stopped after it, whatever happens."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(slurm_cluster.lock(timeout=600))
            stack.callback(slurm_cluster.stop)
            info = slurm_cluster.start()
        except slurm_cluster.ClusterUnavailable as err:
            pytest.skip(f"the test SLURM cluster did not start: {err}")
        yield info


def job_env() -> dict:
    """This environment, this venv's python first, and no SLURM variables of an outer job."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def small_node_profile(folder: Path, cpus: int) -> Path:
    """profiles/slurm cut to one small node: same partitions and rules, one GPU a job
    (the paper's 4 and 8 for fine-tuning would not fit the node); no conda."""
    profile = copy.deepcopy(PROFILE)
    profile.pop("software-deployment-method")  # no conda here: jobs run in this venv
    profile["latency-wait"] = 5
    for resources in profile["set-resources"].values():
        grows = isinstance(resources["runtime"], str)  # an expression of the attempt
        resources.update(mem_mb=1500, runtime="20 * attempt" if grows else 20)
        if "gpu" in resources:
            resources["gpu"] = 1
        if "cpus_per_gpu" in resources:
            resources["cpus_per_gpu"] = cpus
    profile["set-threads"] = {rule: min(n, cpus) for rule, n in profile["set-threads"].items()}
    profile["slurm-init-seconds-before-status-checks"] = 2  # jobs take seconds here
    profile["slurm-keep-successful-logs"] = True
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return folder


def squeue(*fields: str, states: str = "all", name: str | None = None) -> list[list[str]]:
    """``fields`` of the cluster's jobs (none has a space in it)."""
    command = ["squeue", "--noheader", f"--states={states}"] + ([f"--name={name}"] if name else [])
    command.append("--Format=" + ",".join(f"{field}:200" for field in fields))
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return [line.split() for line in result.stdout.splitlines() if line.strip()]


def cancel_first_running(
    rule: str, stop: threading.Event, cancelled: list, *, when=lambda: True, after: float = 1
) -> None:
    """scancel the first job of ``rule`` seen running once ``when()`` holds, ``after``
    seconds past that (the plugin puts the rule in --comment)."""
    while not stop.is_set():
        if when():
            for jobid, comment in squeue("JobID", "Comment", states="RUNNING"):
                if comment.startswith(f"rule_{rule}_"):
                    time.sleep(after)
                    subprocess.run(["scancel", jobid], timeout=30, check=True)
                    cancelled.append(jobid)
                    return
        stop.wait(0.05)


@needs_cluster
def test_gpu_partition_hands_out_gpus(cluster, tmp_path):
    for flag in ("--gpus=1", "--gres=gpu:1"):
        result = subprocess.run(
            ["srun", "-p", "gpu", flag, "-n1", "-t", "1", "printenv", "CUDA_VISIBLE_DEVICES"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env=job_env(),
        )
        assert result.returncode == 0, result.stderr
        if cluster["gpu_devices"]:
            assert result.stdout.strip() == "0"


@needs_cluster
def test_slurm_profile_runs_every_job_through_sbatch_and_retries_a_cancelled_one(
    cluster, tmp_path, request
):
    workdir = tmp_path / "work"
    write_config(workdir, TINY_CONFIG)
    profile = small_node_profile(tmp_path / "profile", cluster["cpus"])
    command = [
        *(sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")),
        *("--configfile", str(workdir / "config.yaml"), "--profile", str(profile)),
    ]
    stop, cancelled = threading.Event(), []
    canceller = threading.Thread(target=cancel_first_running, args=("finetune", stop, cancelled))
    canceller.start()
    try:
        result = subprocess.run(
            command,
            cwd=workdir,
            env=job_env(),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    finally:
        stop.set()
        canceller.join(timeout=60)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]

    # (a) every job but the local ones went through sbatch: once, the cancelled one twice
    jobs = {
        int(jobid): bool(local)
        for local, jobid in re.findall(r"\n(local)?rule \w+:\n(?:    .*\n)*?    jobid: (\d+)", log)
    }
    remote = {jobid for jobid, local in jobs.items() if not local}
    submitted = [
        (int(job), slurm_id)
        for job, slurm_id in re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", log)
    ]
    assert remote and {job for job, _ in submitted} == remote
    assert len(submitted) == len(remote) + 1
    logs = list((workdir / ".snakemake/slurm_logs").rglob("*.log"))
    assert len(logs) == len(submitted)
    run_id = re.search(r"SLURM run ID: (\S+)", log).group(1)
    fields = ("JobID", "State", "Partition", "tres-per-job", "MinMemory", "TimeLimit", "Comment")
    in_slurm = {
        jobid: (*rest, re.match(r"rule_(\w+?)(?:_wildcards_|$)", comment)[1])
        for jobid, *rest, comment in squeue(*fields, name=run_id)
    }
    assert sorted(in_slurm) == sorted(slurm_id for _, slurm_id in submitted)
    # the second submission of a job is its retry, and its runtime may grow with it
    first_ids = {job: slurm_id for job, slurm_id in reversed(submitted)}
    retried_ids = {slurm_id for job, slurm_id in submitted if first_ids[job] != slurm_id}
    settings = yaml.safe_load((profile / "config.yaml").read_text())
    for slurm_id, (_, partition, gpus, memory, limit, rule) in in_slurm.items():
        gpus = gpus.replace("gres/", "gres:")  # newer SLURM writes gres/gpu:1
        on_gpu = rule in GPU_RULES
        assert (partition, gpus) == (("gpu", "gres:gpu:1") if on_gpu else ("cpu", "N/A")), rule
        wanted = settings["set-resources"][rule]
        attempt = 2 if slurm_id in retried_ids else 1
        minutes = eval(str(wanted["runtime"]), {"attempt": attempt})
        assert (memory, limit) == (f"{wanted['mem_mb']}M", f"{minutes}:00"), rule
    assert {rule for *_, rule in in_slurm.values()} & GPU_RULES

    # (c) the job cancelled while running failed, was submitted again, and the run finished
    assert cancelled, "no finetune job was seen running"
    assert in_slurm[cancelled[0]][0] == "CANCELLED"
    assert f"SLURM-job '{cancelled[0]}' failed, SLURM status is: 'CANCELLED'" in log
    retried = next(job for job, slurm_id in submitted if slurm_id == cancelled[0])
    attempts = [slurm_id for job, slurm_id in submitted if job == retried]
    assert len(attempts) == 2 and attempts[0] == cancelled[0]
    assert in_slurm[attempts[1]][4] == "40:00"  # finetune's runtime: 20 * attempt
    others = {state for jobid, (state, *_) in in_slurm.items() if jobid != cancelled[0]}
    assert others == {"COMPLETED"}

    # (b) the same selections and judgments as a local run of the same config
    # (asked for only now: no local run where the cluster does not start)
    completed_run = request.getfixturevalue("completed_run")
    for run in RUNS:
        selections = sorted((completed_run / "results" / run / "data").glob("rd_*_labeled.*"))
        assert len(selections) == 2 * (TINY_CONFIG["diverse_evol"]["n_round"] + 1)  # .tsv, .json
        for path in selections:
            ours = workdir / path.relative_to(completed_run)
            assert ours.read_bytes() == path.read_bytes(), ours
        summary = f"results/{run}/judge/summary.tsv"
        assert (workdir / summary).read_bytes() == (completed_run / summary).read_bytes()


@needs_cluster
def test_a_fine_tune_cancelled_on_the_cluster_resumes_from_its_checkpoint(cluster, tmp_path):
    """A round's fine-tune, cancelled as a time limit would end it, is retried with
    more time and goes on from its newest checkpoint; the checkpoints then go."""
    workdir = tmp_path / "work"
    config = tiny_config(diverse_evol={"n_round": 1})
    config["diverse_evol"]["training"] |= {"num_train_epochs": 12, "checkpoint_minutes": 0}
    config["runs"] = {"kc": config["runs"]["kc"]}
    del config["evaluation"]
    write_config(workdir, config)
    profile = small_node_profile(tmp_path / "profile", cluster["cpus"])
    command = [
        *(sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")),
        *("--configfile", str(workdir / "config.yaml"), "--profile", str(profile)),
    ]
    checkpoints = workdir / "results/kc/checkpoints/rd_1"
    stop, cancelled = threading.Event(), []

    def checkpointed() -> bool:
        return any(checkpoints.glob("checkpoint-*/trainer_state.json"))

    canceller = threading.Thread(
        target=cancel_first_running,
        args=("finetune", stop, cancelled),
        kwargs={"when": checkpointed, "after": 0},
    )
    canceller.start()
    try:
        result = subprocess.run(
            command, cwd=workdir, env=job_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
    finally:
        stop.set()
        canceller.join(timeout=60)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert cancelled, "the round's fine-tune was never seen with a checkpoint"
    assert f"SLURM-job '{cancelled[0]}' failed, SLURM status is: 'CANCELLED'" in log
    job_log = (workdir / "results/kc/logs/finetune/rd_1.log").read_text()
    resumed = re.search(r"resuming from \S+/checkpoint-(\d+)", job_log)
    assert resumed and int(resumed.group(1)) >= 1, job_log[-3000:]
    assert (workdir / "results/kc/output/rd_1/model.safetensors").is_file()
    assert not (workdir / "results/kc/checkpoints/rd_1").exists()


def every_gpu_rule_config(workdir: Path) -> dict:
    """Humback, DiverseEvol runs of two strategies and every evaluation: each GPU rule
    plans at least one job. Batches divide over the profile's 4 and 8 GPUs."""
    from test_humback_workflow import humback_config

    instructions = workdir / "alpaca_eval.json"
    instructions.write_text(json.dumps([{"instruction": "Name a colour."}]))
    config = humback_config(
        small_data={"below": 3000, "training": {"per_device_train_batch_size": 1}},
        training={"num_train_epochs": 1, "per_device_train_batch_size": 1},
    )
    config["runs"]["lc_hb"] = {
        "dataset": "curated",
        "model": "tiny",
        "strategy": "least_confidence",
    }
    config["diverse_evol"]["training"] = {"per_device_train_batch_size": 1}
    config["evaluation"] = {
        "testsets": {"qs": {"generate": {"dataset": "demo", "n_records": 4}}},
        "judge": {"backend": "reference"},
        "opponents": {"first": {"round": 0}},
        "alpaca_eval": {"instructions": str(instructions)},
        "lm_eval": {"tasks": ["selfalign_tiny"]},
    }
    return config


def job_resources(dry_run: str) -> dict[str, list[dict]]:
    """The resources of every job a dry run prints, by rule."""
    jobs: dict[str, list[dict]] = {}
    for rule, resources in re.findall(
        r"\n(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)\n", dry_run
    ):
        pairs = (item.split("=", 1) for item in resources.split(", "))
        jobs.setdefault(rule, []).append(dict(pairs))
    return jobs


SITE_PROFILE = {  # a site's own global profile, as clusters ship them
    "executor": "slurm",
    "jobs": 20,
    "default-resources": {"slurm_account": "site_account", "qos": "site_qos"},
}


@needs_cluster
@pytest.mark.parametrize("how", ["profiles/slurm", "installed", "beside a site profile"])
def test_the_slurm_profile_as_users_type_it_routes_every_gpu_rule(cluster, tmp_path, how):
    """From a fresh HOME: ``--profile profiles/slurm`` from the repository;
    ``profiles/install`` then ``--profile slurm``; and a site's global profile with
    ours as ``--workflow-profile``, where the site's account and QOS reach every job
    and our partitions, GPUs, memory and times every GPU rule."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    write_config(workdir, every_gpu_rule_config(workdir))
    env = job_env() | {"HOME": str(tmp_path / "home")}
    env.pop("XDG_CONFIG_HOME", None)
    profiles = ["--profile", str(REPO / "profiles/slurm")]
    if how == "installed":
        subprocess.run([REPO / "profiles/install"], env=env, check=True, timeout=60)
        assert (tmp_path / "home/.config/snakemake/slurm/config.yaml").is_file()
        again = subprocess.run([REPO / "profiles/install"], env=env, capture_output=True, text=True)
        assert again.returncode == 1 and "exists" in again.stderr  # never replaced
        profiles = ["--profile", "slurm"]
    elif how == "beside a site profile":
        site = tmp_path / "home/.config/snakemake/site"
        site.mkdir(parents=True)
        (site / "config.yaml").write_text(yaml.safe_dump(SITE_PROFILE))
        profiles = ["--profile", "site", "--workflow-profile", str(REPO / "profiles/slurm")]
    result = subprocess.run(
        [
            *(sys.executable, "-m", "snakemake", "--snakefile", REPO / "Snakefile"),
            *profiles,
            *("--configfile", workdir / "config.yaml"),
            *("--sdm", "env-modules", "--dry-run"),  # this cluster has Lmod, not conda
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    jobs = job_resources(result.stdout)
    assert set(jobs) >= GPU_RULES
    for rule in GPU_RULES:
        wanted = PROFILE["set-resources"][rule]
        for resources in jobs[rule]:
            assert resources["slurm_partition"] == wanted["slurm_partition"], rule
            assert int(resources["gpu"]) == wanted["gpu"], rule
            assert int(resources["mem_mb"]) == wanted["mem_mb"], rule
            assert int(resources["runtime"]) == eval(str(wanted["runtime"]), {"attempt": 1})
    if how == "beside a site profile":
        for rule in set(PROFILE["set-resources"]) & set(jobs):
            for resources in jobs[rule]:
                assert resources["slurm_account"] == "site_account", rule
                assert resources["qos"] == "site_qos", rule
    else:  # profiles/default is read too (Snakemake says so) and changes none of this
        assert "workflow specific profile" in result.stderr and "profiles/default" in result.stderr

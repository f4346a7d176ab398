"""Multi-GPU launch derivation, and real distributed runs on the CPU (gloo)."""

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import REPO

from selfalign.cluster.launch import JobShape, tensor_parallel_size, training_command
from selfalign.models.loading import load_causal_lm
from selfalign.train.batching import accumulation_steps, for_size
from selfalign.train.gpu_memory import GB, ZeroSetup, model_states_per_gpu

REPO_ZERO = {stage: f"config/deepspeed/zero{stage}.json" for stage in (2, 3)}


@pytest.mark.parametrize(
    ("resources", "nproc", "nnodes", "launcher"),
    [
        ({}, 1, 1, None),
        ({"gpu": 1}, 1, 1, None),
        ({"gpu": 4}, 4, 1, "standalone"),
        ({"gpu": 8}, 8, 1, "standalone"),
        ({"gpu": 16, "nodes": 2}, 8, 2, "srun"),
        ({"gpu": 0, "gres": "gpu:8", "nodes": 2}, 8, 2, "srun"),  # per node, as SLURM's
        ({"gpu": 0, "gres": "gpu:a100:4", "nodes": 2}, 4, 2, "srun"),
    ],
)
def test_launch_is_derived_from_the_job_resources(resources, nproc, nnodes, launcher):
    shape = JobShape.from_resources(resources)
    command = training_command(shape, ["spec.json"], rendezvous="node1:29500", job_id="77")
    assert command[-3:] == ["-m", "selfalign.train", "spec.json"]
    assert shape.world_size == nproc * nnodes
    if launcher is None:
        assert command == [sys.executable, "-m", "selfalign.train", "spec.json"]
        return
    assert f"--nproc_per_node={nproc}" in command and f"--nnodes={nnodes}" in command
    if launcher == "standalone":
        assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
        assert "--standalone" in command
    else:  # one torchrun per node, meeting at the head node
        srun = ["srun", "--overlap", "--nodes=2", "--ntasks-per-node=1", "--kill-on-bad-exit=1"]
        assert command[:5] == srun  # a step inside the job's own allocation
        assert "--rdzv_endpoint=node1:29500" in command and "--rdzv_id=77" in command
    assert tensor_parallel_size(nproc) == nproc


def effective_batch(training: dict, world_size: int) -> int:
    """Examples an optimizer step sees, as TrainingArguments would be given them."""
    steps = accumulation_steps(training, world_size)
    if steps is None:
        steps = training.get("gradient_accumulation_steps", 1)
    return training.get("per_device_train_batch_size", 8) * world_size * steps


def humback_defaults() -> dict:
    """A Humback run's settings with the schema's defaults filled in."""
    from snakemake.utils import validate

    config = {
        "models": {"m": {"name_or_path": "m"}},
        "humback": {
            "hb": {
                "model": "m",
                "seed_data": {"generate": {"n_records": 8}},
                "unlabeled": {"generate": {"n_documents": 8}},
            }
        },
    }
    validate(config, str(REPO / "workflow/schemas/config.schema.yaml"))
    return config["humback"]["hb"]


@pytest.mark.parametrize("world_size", [1, 4, 8])
def test_the_papers_batches_hold_on_1_4_and_8_gpus(world_size):
    import yaml

    humback = humback_defaults()  # the paper's: 32 in all, 8 below 3k examples
    paper = yaml.safe_load((REPO / "config/humback.yaml").read_text())["humback"]
    (paper,) = paper.values()
    for spec in (humback, paper):
        large, small = (for_size(spec["training"], spec["small_data"], n) for n in (3000, 2999))
        assert effective_batch(large, world_size) == 32
        assert effective_batch(small, world_size) == 8
    release = yaml.safe_load((REPO / "config/humback_release.yaml").read_text())["humback"]
    (release,) = release.values()  # the unofficial release: 32 whatever the set's size
    small = for_size(paper["training"], release["small_data"], 2999)
    assert effective_batch(small, world_size) == 32
    dolly = yaml.safe_load((REPO / "config/diverseevol_dolly.yaml").read_text())
    assert effective_batch(dolly["diverse_evol"]["training"], world_size) == 64  # 4 x 4 x 4 GPUs


def test_a_small_data_batch_replaces_the_blocks_batch_as_a_whole():
    training = {"learning_rate": 1e-5, "per_device_train_batch_size": 4, "global_batch_size": 32}
    small = {"below": 3000, "training": {"gradient_accumulation_steps": 1}}
    assert for_size(training, small, 100) == {
        "learning_rate": 1e-5,
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 1,
    }
    assert for_size(training, small, 3000) == training
    other = {"below": 3000, "training": {"learning_rate": 2e-5}}  # no batch: the block's stays
    assert for_size(training, other, 100) == {**training, "learning_rate": 2e-5}


def test_a_batch_that_cannot_be_kept_names_the_key_to_change():
    with pytest.raises(ValueError, match=r"x\.per_device_train_batch_size=4 .* divisor of 2"):
        accumulation_steps({"global_batch_size": 8, "per_device_train_batch_size": 4}, 4, "x")
    with pytest.raises(ValueError, match=r"x\.global_batch_size=128 cannot be split over 3"):
        accumulation_steps({"global_batch_size": 128, "per_device_train_batch_size": 4}, 3, "x")
    with pytest.raises(ValueError, match="give one of them"):
        accumulation_steps({"global_batch_size": 8, "gradient_accumulation_steps": 1}, 1)
    with pytest.raises(ValueError, match=r"gpu=3 .* nodes=2"):
        JobShape.from_resources({"gpu": 3, "nodes": 2})
    assert tensor_parallel_size(0) == 1


def torchrun(*args, cwd, timeout=600):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.mark.slow
def test_training_entry_point_runs_under_torchrun_on_two_cpu_processes(
    tiny_model_dir, demo_records, tmp_path
):
    records = demo_records[:48]
    (tmp_path / "records.json").write_text(json.dumps(records))
    out = tmp_path / "rd_0"
    spec = {
        "base_model": str(tiny_model_dir),
        "records": str(tmp_path / "records.json"),
        "out_dir": str(out),
        "training": {
            "num_train_epochs": 1,
            "per_device_train_batch_size": 4,
            "global_batch_size": 16,
            "learning_rate": 1e-3,
        },
        "max_length": 128,
        "seed": 3,
        "dtype": "float32",
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    command = training_command(JobShape(gpus_per_node=2), [str(tmp_path / "spec.json")])
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    result = torchrun(*command[3:], cwd=tmp_path)
    # 48 records in global batches of 16: 3 steps only if the two ranks split the data.
    assert result.stderr.count("training done after 3 steps") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rd_0", "records.json", "spec.json"]
    trained = load_causal_lm(str(out)).state_dict()
    base = load_causal_lm(str(tiny_model_dir)).state_dict()
    assert any((trained[k] != base[k]).any() for k in base)


@pytest.mark.slow
def test_deepspeed_zero_step_runs_on_two_cpu_processes(tiny_model_dir, tmp_path):
    pytest.importorskip("deepspeed")
    after = {}
    for stage, config in REPO_ZERO.items():
        out = tmp_path / f"zero{stage}.json"
        torchrun("--nproc_per_node=2", str(REPO / "tests/zero_step.py"), str(tiny_model_dir),
                 str(REPO / config), str(out), cwd=tmp_path)  # fmt: skip
        ranks = [json.loads((tmp_path / f"zero{stage}.json.{r}").read_text()) for r in (0, 1)]
        assert [r["stage"] for r in ranks] == [stage, stage]
        assert [r["world"] for r in ranks] == [2, 2]
        assert ranks[0]["loss"] != ranks[1]["loss"]  # each rank had its own batch
        assert ranks[0]["after"] == pytest.approx(ranks[1]["after"], rel=1e-9)  # one update
        after[stage] = ranks[0]["after"]
        if stage == 2:  # ZeRO-3 holds only a shard of the weights before the step
            assert ranks[0]["after"] != ranks[0]["before"]
    assert after[3] == pytest.approx(after[2], rel=1e-7)  # the same step, sharded otherwise


CLAIM = """
import sys, time
from pathlib import Path
from selfalign.cluster.gpus import claim_gpus
gpus = claim_gpus(int(sys.argv[3]), gpus=["0", "1", "2"], lock_dir=Path(sys.argv[1]),
                   poll_seconds=0.2)
print(",".join(gpus), flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_gpu_jobs_on_one_machine_never_share_a_card(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID")}

    def start(hold, count=2):
        command = [sys.executable, "-c", CLAIM, str(tmp_path), str(hold), str(count)]
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        return subprocess.Popen(command, env=env, **pipes)

    first = start(60)
    assert first.stdout.readline().strip() == "0,1"
    third = start(60, count=1)
    assert third.stdout.readline().strip() == "2"  # the GPU left
    second = start(0)
    time.sleep(2)
    assert second.poll() is None  # waits: only GPU 2 is free, and it is taken
    first.kill()  # the locks go with the process, even on SIGKILL
    first.wait()
    assert second.communicate(timeout=60)[0].strip() == "0,1"
    third.kill()
    third.wait()
    _, error = start(0, count=4).communicate(timeout=60)
    assert "needs 4 GPUs and this machine has 3" in error


@pytest.mark.workflow
def test_a_finetune_job_given_two_gpus_trains_with_two_processes(tmp_path):
    """The workflow's own launch path; on a CPU machine the two processes use gloo."""
    from conftest import run_snakemake, tiny_config, write_config

    write_config(tmp_path, tiny_config(diverse_evol={"n_round": 0}))
    two = ("--set-resources", "finetune:gpu=2", "--resources", "gpu=2")
    run_snakemake(tmp_path, "results/kc/output/rd_0", *two)
    log = (tmp_path / "results/kc/logs/finetune/rd_0.log").read_text()
    assert "torch.distributed.run --nproc_per_node=2 --nnodes=1 --standalone" in log
    assert log.count("training done after") == 2  # one line per rank
    assert (tmp_path / "results/kc/output/rd_0/model.safetensors").is_file()
    assert not list((tmp_path / "results/kc/output").glob("*.launch.json"))


LLAMA_7B = 6_738_415_616  # parameters; the largest layer is the 32000 x 4096 embedding
LLAMA_7B_EMBEDDING = 131_072_000


@pytest.mark.parametrize(
    ("stage", "gpus", "gb"),
    [(2, 1, 134.77), (2, 4, 43.80), (2, 8, 28.64), (3, 1, 121.82), (3, 4, 30.85), (3, 8, 15.69)],
)
def test_model_states_of_a_7b_model_per_gpu_match_deepspeeds_estimators(stage, gpus, gb):
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs

    zero = ZeroSetup.from_deepspeed(REPO / REPO_ZERO[stage])
    ours = model_states_per_gpu(LLAMA_7B, LLAMA_7B_EMBEDDING, zero, gpus)
    assert ours / GB == pytest.approx(gb, abs=0.005)
    if stage == 2:
        theirs = estimate_zero2_model_states_mem_needs(LLAMA_7B, gpus, cpu_offload=False)
    else:
        theirs = estimate_zero3_model_states_mem_needs(
            LLAMA_7B, LLAMA_7B_EMBEDDING, gpus, cpu_offload=False, cpu_offload_params=False
        )
    assert ours == theirs[1]  # (CPU bytes, GPU bytes, ...)


def test_offloading_in_the_deepspeed_config_is_counted_as_deepspeed_counts_it():
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs

    def zero(stage, *offloaded):
        return ZeroSetup.from_deepspeed(
            {"zero_optimization": {"stage": stage, **{k: {"device": "cpu"} for k in offloaded}}}
        )

    optimizer, params = "offload_optimizer", "offload_param"
    assert (
        model_states_per_gpu(LLAMA_7B, 0, zero(2, optimizer), 8)
        == (estimate_zero2_model_states_mem_needs(LLAMA_7B, 8, cpu_offload=True)[1])
    )
    for offloaded, offload_params in (((optimizer,), False), ((optimizer, params), True)):
        assert (
            model_states_per_gpu(LLAMA_7B, LLAMA_7B_EMBEDDING, zero(3, *offloaded), 8)
            == estimate_zero3_model_states_mem_needs(
                LLAMA_7B, LLAMA_7B_EMBEDDING, 8, cpu_offload=True, cpu_offload_params=offload_params
            )[1]
        )
    assert ZeroSetup.from_deepspeed(None).describe() == "no DeepSpeed"
    assert zero(3, optimizer).describe() == "ZeRO-3, optimizer on CPU"

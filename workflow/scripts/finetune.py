"""Fine-tune the base model on a file of training records (the first input).

One process per GPU of the job (torchrun; srun across nodes), derived from the
job's resources; one plain process on a CPU or a single GPU.
"""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import torch

from selfalign.gpus import claim_gpus
from selfalign.launch import JobShape, head_node, training_command
from selfalign.logs import log_to
from selfalign.records import read_json
from selfalign.training import finetune

log_to(snakemake.log[0])
claim_gpus(int(snakemake.resources.get("gpu", 0)))
torch.set_num_threads(snakemake.threads)
training = dict(snakemake.params.training)
small = snakemake.params.get("small_data")  # Humback: other settings below a size
records = read_json(snakemake.input[0])
if small and len(records) < small["below"]:
    training.update(small["training"])
spec = {
    "base_model": snakemake.params.base,
    "records": snakemake.input[0],
    "out_dir": snakemake.output[0],
    "training": training,
    "model_config": snakemake.params.get("model_config"),
    "max_length": snakemake.params.max_length,
    "seed": snakemake.params.seed,
    "dtype": snakemake.params.dtype,
}
shape = JobShape.from_resources(snakemake.resources)
if shape.world_size == 1:
    finetune(**spec | {"records": records})
else:
    spec_path = Path(f"{snakemake.output[0]}.launch.json")  # on the shared file system
    spec_path.write_text(json.dumps(spec))
    nodes = {}
    if shape.nodes > 1:  # one torchrun per node, meeting on the first
        nodes = {"rendezvous": f"{head_node()}:29500", "job_id": os.environ["SLURM_JOB_ID"]}
    command = training_command(shape, [str(spec_path)], **nodes)
    logging.info("launching %s", " ".join(command))
    try:
        subprocess.run(command, check=True, stdout=sys.stdout, stderr=sys.stderr)
    finally:
        spec_path.unlink()

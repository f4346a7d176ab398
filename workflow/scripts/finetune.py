"""Fine-tune the base model on training records: a round's labeled rows of the
pool (DiverseEvol) or a file of records (Humback).

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

from selfalign.cluster.launch import JobShape, head_node, training_command, use_job_resources
from selfalign.cluster.logs import log_to, timed
from selfalign.data.records import read_json
from selfalign.train.batching import for_size
from selfalign.train.checkpoints import checkpoint_folder
from selfalign.train.finetune import finetune

log_to(snakemake.log[0])
use_job_resources(snakemake.resources)
torch.set_num_threads(snakemake.threads)
with timed("read"):
    if snakemake.input.get("pool"):
        from selfalign.data.pools import to_records
        from selfalign.diverse_evol.labeled import read_labeled
        from selfalign.io import open_arrow

        pool = open_arrow(snakemake.input.pool)
        records = to_records(pool.take(read_labeled(snakemake.input.labeled, pool["id"]).rows))
    else:
        records = read_json(snakemake.input.data)
# Humback trains with other settings below a size (small_data)
training = for_size(snakemake.params.training, snakemake.params.get("small_data"), len(records))
tracking = snakemake.params.tracking
if tracking.report_to:  # one tracker run a fine-tune, for every process
    os.environ.update(tracking.environment())
    training |= tracking.training_arguments()
spec = {
    "base_model": snakemake.params.base,
    "out_dir": snakemake.output[0],
    "training": training,
    "model_config": snakemake.params.get("model_config"),
    "max_length": snakemake.params.max_length,
    "prompt_format": snakemake.params.prompt_format,
    "seed": snakemake.params.seed,
    "dtype": snakemake.params.dtype,
    # outside the output, which Snakemake removes when the job fails
    "checkpoints": str(checkpoint_folder(snakemake.output[0])),
}
shape = JobShape.from_resources(snakemake.resources)
if shape.world_size == 1:
    with timed("train"):
        finetune(**spec | {"records": records})
else:
    # Every process reads the spec and its records from the shared file system.
    spec_path = Path(f"{snakemake.output[0]}.launch.json")
    records_path = Path(f"{snakemake.output[0]}.records.json")
    records_path.write_text(json.dumps(records, ensure_ascii=False))
    spec_path.write_text(json.dumps(spec | {"records": str(records_path)}))
    nodes = {}
    if shape.nodes > 1:  # one torchrun per node, meeting on the first
        nodes = {"rendezvous": f"{head_node()}:29500", "job_id": os.environ["SLURM_JOB_ID"]}
    command = training_command(shape, [str(spec_path)], **nodes)
    logging.info("launching %s", " ".join(command))
    try:
        subprocess.run(command, check=True, stdout=sys.stdout, stderr=sys.stderr)
    finally:
        spec_path.unlink()
        records_path.unlink()

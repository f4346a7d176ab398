"""Fine-tune the base model on training records: a round's labeled rows of the
pool (DiverseEvol) or a file of records (Humback).

One process per GPU of the job (torchrun; srun across nodes), derived from the
job's resources; one plain process on a CPU or a single GPU.
"""

import os

import torch

from selfalign.cluster.launch import JobShape, use_job_resources
from selfalign.cluster.logs import log_to, timed
from selfalign.data.records import read_json
from selfalign.train.batching import for_size
from selfalign.train.job import run_finetune

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
}
with timed("train"):
    run_finetune(spec, records, JobShape.from_resources(snakemake.resources))

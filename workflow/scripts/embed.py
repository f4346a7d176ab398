"""One pass over the pool with a model: embeddings, or per-record token scores.

The pool is sharded over the GPUs the job can see and merged in record order.
"""

import logging

import numpy as np
import torch

from selfalign.cluster.launch import use_job_resources
from selfalign.cluster.logs import log_to, timed
from selfalign.data.pools import read_records
from selfalign.diverse_evol.pool_pass import job_devices, run_pool_pass
from selfalign.diverse_evol.token_scores import write_token_scores
from selfalign.io import atomic_output

log_to(snakemake.log[0])
use_job_resources(snakemake.resources)
torch.set_num_threads(snakemake.threads)
devices = job_devices()
with timed("read"):
    pool = read_records(snakemake.input.pool)
token_scores = snakemake.params.features == "token_scores"
logging.info("%d records on %s (%s)", len(pool), ", ".join(devices), snakemake.params.dtype)
with timed("pass"):
    features = run_pool_pass(
        snakemake.params.model,
        pool,
        devices=devices,
        threads=snakemake.threads,
        dtype=snakemake.params.dtype,
        token_scores=token_scores,
        max_length=snakemake.params.max_length,
        prompt_format=snakemake.params.prompt_format,
        batch_size=snakemake.params.batch_size,
    )
with timed("write"):
    if token_scores:
        ids = [r["id"] for r in pool]
        write_token_scores(ids, features, snakemake.output.token_scores)
    else:
        with atomic_output(snakemake.output.embeddings) as tmp, open(tmp, "wb") as f:
            np.save(f, features["embeddings"])

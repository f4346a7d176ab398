"""Fine-tune the base model on one round's labeled set."""

import torch

from selfalign.logs import log_to
from selfalign.records import read_json
from selfalign.training import finetune

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
finetune(
    snakemake.params.base,
    read_json(snakemake.input.labeled),
    snakemake.output[0],
    training=snakemake.params.training,
    max_length=snakemake.params.max_length,
    seed=snakemake.params.seed,
    dtype=snakemake.params.dtype,
)

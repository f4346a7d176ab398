"""Fine-tune the base model on a file of training records (the first input)."""

import torch

from selfalign.logs import log_to
from selfalign.records import read_json
from selfalign.training import finetune

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
records = read_json(snakemake.input[0])
training = dict(snakemake.params.training)
small = snakemake.params.get("small_data")  # Humback: other settings below a size
if small and len(records) < small["below"]:
    training.update(small["training"])
finetune(
    snakemake.params.base,
    records,
    snakemake.output[0],
    training=training,
    model_config=snakemake.params.get("model_config"),
    max_length=snakemake.params.max_length,
    seed=snakemake.params.seed,
    dtype=snakemake.params.dtype,
)

"""Build the demo's tiny LLaMA model and tokenizer from the pool, offline, and
pre-train it where the config asks."""

import logging
import tempfile

import torch

from selfalign.cluster.logs import log_to
from selfalign.data.pools import read_records
from selfalign.io import atomic_output, read_jsonl
from selfalign.train.tiny_model import build_tiny_model, pretrain

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
records = read_records(snakemake.input.pool)
build = dict(snakemake.params.build)
pretraining = build.pop("pretrain", None)
if pretraining is None:
    with atomic_output(snakemake.output[0]) as tmp:
        build_tiny_model(records, tmp, **build)
else:
    with tempfile.TemporaryDirectory() as initial:
        build_tiny_model(records, initial, **build)
        held_out = read_jsonl(snakemake.input.held_out)
        settings = {k: v for k, v in pretraining.items() if k != "held_out"}
        pretrain(initial, snakemake.output[0], held_out=held_out, **settings)
logging.info("built %s from %d records", snakemake.output[0], len(records))

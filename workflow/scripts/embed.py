"""Embed the whole pool with one model (a round's, or a fixed one)."""

import logging
import time

import numpy as np
import torch

from selfalign.embedding import embed_records
from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.modeling import best_device, load_body, load_tokenizer
from selfalign.records import read_json

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
device = best_device()
pool = read_json(snakemake.input.pool)
body = load_body(snakemake.params.model, snakemake.params.dtype).to(device)
tokenizer = load_tokenizer(snakemake.params.model)
start = time.perf_counter()
vectors = embed_records(
    body,
    tokenizer,
    pool,
    max_length=snakemake.params.max_length,
    batch_size=snakemake.params.batch_size,
)
logging.info(
    "embedded %d records on %s in %s: %.1f s",
    len(pool),
    device,
    body.dtype,
    time.perf_counter() - start,
)
with atomic_output(snakemake.output[0]) as tmp, open(tmp, "wb") as f:
    np.save(f, vectors)

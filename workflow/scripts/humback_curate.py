"""Stages 6-7: M_{t-1} scores every augmented pair; A_t keeps the best."""

import logging

import pandas as pd
import torch

from selfalign.files import atomic_output
from selfalign.gpus import claim_gpus
from selfalign.humback.curation import curate, curation_replies
from selfalign.jsonl import read_jsonl, write_jsonl
from selfalign.logs import log_to

log_to(snakemake.log[0])
claim_gpus(int(snakemake.resources.get("gpu", 0)))
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.curate
pairs = read_jsonl(snakemake.input.pairs)
replies = curation_replies(
    pairs, settings, snakemake.params.generation, snakemake.input.get("model")
)
result = curate(pairs, replies, settings)
logging.info("curation (score >= %d): %s", settings["threshold"], result.summary)
write_jsonl(result.scored, snakemake.output.scored)
with atomic_output(snakemake.output.histogram) as tmp:
    pd.DataFrame([result.summary]).to_csv(tmp, sep="\t", index=False)
write_jsonl(result.kept, snakemake.output.curated)

"""Build the demo's tiny LLaMA model and tokenizer from the pool, offline."""

import logging

from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.pools import read_records
from selfalign.tiny_model import build_tiny_model

log_to(snakemake.log[0])
records = read_records(snakemake.input[0])
with atomic_output(snakemake.output[0]) as tmp:
    build_tiny_model(records, tmp, **snakemake.params.build)
logging.info("built %s from %d records", snakemake.output[0], len(records))

"""A GGUF file as a Hugging Face model folder (safetensors, tokenizer, chat template)."""

import logging

from selfalign.cluster.logs import log_to, timed
from selfalign.models.gguf import convert_gguf, locate_gguf

log_to(snakemake.log[0])
spec = snakemake.params.gguf
path = locate_gguf(spec, snakemake.params.key)
logging.info("converting %s (%.1f MB) to %s", path, path.stat().st_size / 1e6, spec["dtype"])
with timed("convert"):
    convert_gguf(path, snakemake.output[0], spec["dtype"])

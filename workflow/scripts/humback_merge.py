"""Stage 4, merge: the shards' augmented pairs, in the unlabeled file's order."""

import logging

from selfalign.cluster.logs import log_to
from selfalign.humback.shards import merge
from selfalign.io import read_jsonl, write_jsonl

log_to(snakemake.log[0])
pairs = merge([read_jsonl(path) for path in snakemake.input])
write_jsonl(pairs, snakemake.output[0])
logging.info("%d augmented pairs from %d shards", len(pairs), len(snakemake.input))

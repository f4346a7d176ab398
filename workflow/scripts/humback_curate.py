"""Stage 7: the shards' scored pairs, in the augmented file's order; A_t keeps the best."""

import logging

import pandas as pd

from selfalign.files import atomic_output
from selfalign.humback.curation import curate
from selfalign.humback.shards import merge
from selfalign.jsonl import read_jsonl, write_jsonl
from selfalign.logs import log_to

log_to(snakemake.log[0])
settings = snakemake.params.curate
result = curate(merge([read_jsonl(path) for path in snakemake.input]), settings)
logging.info("curation (score >= %d): %s", settings["threshold"], result.summary)
write_jsonl(result.scored, snakemake.output.scored)
with atomic_output(snakemake.output.histogram) as tmp:
    pd.DataFrame([result.summary]).to_csv(tmp, sep="\t", index=False)
write_jsonl(result.kept, snakemake.output.curated)

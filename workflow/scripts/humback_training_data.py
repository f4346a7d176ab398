"""Training records: backward (text -> instruction), M0 (seed), M_t (seed + A_t), tagged."""

import logging

from selfalign.cluster.logs import log_to
from selfalign.humback import backward_record, forward_record
from selfalign.io import read_jsonl, write_json

log_to(snakemake.log[0])
seed = read_jsonl(snakemake.input.seed)
system_prompt = snakemake.params.system_prompt
if snakemake.wildcards.model == "backward":
    records = [
        backward_record(p["instruction"], p["response"], snakemake.params.prompt_format)
        for p in seed
    ]
else:
    records = [
        forward_record(
            p["instruction"], p["response"], augmented=False, system_prompt=system_prompt
        )
        for p in seed
    ]
    path = snakemake.input.get("curated")  # M_t, t >= 1: seed + A_t
    if path:
        curated = read_jsonl(path)
        records += [
            forward_record(
                p["instruction"], p["response"], augmented=True, system_prompt=system_prompt
            )
            for p in curated
        ]
        logging.info("%d seed + %d curated pairs", len(seed), len(curated))
write_json(records, snakemake.output[0])
logging.info("%d training records for %s", len(records), snakemake.wildcards.model)

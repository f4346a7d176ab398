"""Stage 7: the shards' scored pairs, in the augmented file's order; A_t keeps the best.

A curation that parsed too little or kept nothing fails the job (M_t would
train on the seed alone, as M0 did), unless ``curate.allow_empty`` says to go on.
"""

import logging

import pandas as pd

from selfalign.cluster.logs import console, log_to
from selfalign.humback.curation import curate, curation_problem, describe_scores
from selfalign.humback.shards import merge
from selfalign.io import atomic_output, read_jsonl, write_jsonl

log_to(snakemake.log[0])
settings = snakemake.params.curate
result = curate(merge([read_jsonl(path) for path in snakemake.input]), settings)
where = f"humback.{snakemake.wildcards.run} iteration {snakemake.wildcards.iteration}"
console(f"{where}: curation {describe_scores(result.summary)}")
logging.info("curation (score >= %d): %s", settings["threshold"], result.summary)
if problem := curation_problem(result.summary, settings):
    message = (
        f"{where}: {problem}, so M{snakemake.wildcards.iteration} would train on the seed alone. "
        f"Curate with a larger or better model, a lower curate.threshold (4 gives A4), or "
        f"the proxy scorer (curate.scorer: proxy, for demos); or set curate.allow_empty: "
        f"true to go on with what was kept"
    )
    if not settings["allow_empty"]:
        raise RuntimeError(message)
    logging.warning("%s (curate.allow_empty: going on)", message)
write_jsonl(result.scored, snakemake.output.scored)
with atomic_output(snakemake.output.histogram) as tmp:
    pd.DataFrame([result.summary]).to_csv(tmp, sep="\t", index=False)
write_jsonl(result.kept, snakemake.output.curated)

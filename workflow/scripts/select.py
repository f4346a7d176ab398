"""Select n_query more records: round r's sets from round r-1's."""

import logging

import numpy as np

from selfalign.files import write_json
from selfalign.logs import log_to
from selfalign.records import read_json
from selfalign.rounds import next_round

log_to(snakemake.log[0])
rnd = int(snakemake.wildcards.rd)
path = snakemake.input.get("embeddings")  # only strategies that need them get them
embeddings = np.load(path) if path else None
labeled, unlabeled = next_round(
    read_json(snakemake.input.pool),
    read_json(snakemake.input.labeled),
    read_json(snakemake.input.unlabeled),
    strategy=snakemake.params.strategy,
    n_query=snakemake.params.n_query,
    seed=snakemake.params.seed,
    rnd=rnd,
    embeddings=embeddings,
)
write_json(unlabeled, snakemake.output.unlabeled)
write_json(labeled, snakemake.output.labeled)
logging.info(
    "round %d (%s): %d labeled, %d unlabeled",
    rnd,
    snakemake.params.strategy,
    len(labeled),
    len(unlabeled),
)

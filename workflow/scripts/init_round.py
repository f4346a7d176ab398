"""Round 0: a random labeled subset of the pool."""

import logging

from selfalign.files import write_json
from selfalign.logs import log_to
from selfalign.records import read_json
from selfalign.rounds import initial_split

log_to(snakemake.log[0])
pool = read_json(snakemake.input.pool)
labeled, unlabeled = initial_split(pool, snakemake.params.n_labeled, snakemake.params.seed)
write_json(unlabeled, snakemake.output.unlabeled)
write_json(labeled, snakemake.output.labeled)
logging.info("round 0: %d labeled, %d unlabeled", len(labeled), len(unlabeled))

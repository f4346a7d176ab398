"""Round 0: a random labeled subset of the pool."""

import logging

import numpy as np

from selfalign.labeled import Labeled, write_labeled
from selfalign.logs import log_to
from selfalign.pools import open_pool
from selfalign.rounds import initial_rows

log_to(snakemake.log[0])
ids = open_pool(snakemake.input.pool, ["id"])["id"]
rows = initial_rows(len(ids), snakemake.params.n_labeled, snakemake.params.seed)
labeled = Labeled(rows, ids.take(rows).to_pylist(), np.zeros(len(rows), dtype=np.int64))
write_labeled(labeled, snakemake.output.labeled)
logging.info("round 0: %d labeled, %d unlabeled", len(rows), len(ids) - len(rows))

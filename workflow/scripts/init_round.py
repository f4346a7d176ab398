"""Round 0: a random labeled subset of the pool."""

import logging

import numpy as np

from selfalign.cluster.logs import log_to
from selfalign.diverse_evol.labeled import Labeled, write_labeled
from selfalign.diverse_evol.rounds import initial_rows
from selfalign.io import open_arrow

log_to(snakemake.log[0])
ids = open_arrow(snakemake.input.pool, ["id"])["id"]
rows = initial_rows(len(ids), snakemake.params.n_labeled, snakemake.params.seed)
labeled = Labeled(rows, ids.take(rows).to_pylist(), np.zeros(len(rows), dtype=np.int64))
write_labeled(labeled, snakemake.output.labeled)
logging.info("round 0: %d labeled, %d unlabeled", len(rows), len(ids) - len(rows))

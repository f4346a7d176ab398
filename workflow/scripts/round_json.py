"""The release's view of a round: its labeled records, or the rest of the pool."""

import logging

import pyarrow as pa

from selfalign.cluster.logs import log_to, timed
from selfalign.data.pools import to_records
from selfalign.diverse_evol.labeled import read_labeled
from selfalign.diverse_evol.rounds import unlabeled_rows
from selfalign.io import open_arrow, write_json

log_to(snakemake.log[0])
with timed("read"):
    pool = open_arrow(snakemake.input.pool)
    rows = read_labeled(snakemake.input.labeled, pool["id"]).rows
    if snakemake.wildcards.part == "unlabeled":
        rows = unlabeled_rows(pool.num_rows, rows)
    records = to_records(pool.take(pa.array(rows)))
with timed("write"):
    write_json(records, snakemake.output[0])
logging.info("%d %s records -> %s", len(records), snakemake.wildcards.part, snakemake.output[0])

"""The release's view of a round: its labeled records, or the rest of the pool."""

import logging

import pyarrow as pa

from selfalign.files import write_json
from selfalign.labeled import read_labeled
from selfalign.logs import log_to, timed
from selfalign.pools import open_pool, to_records
from selfalign.rounds import unlabeled_rows

log_to(snakemake.log[0])
with timed("read"):
    pool = open_pool(snakemake.input.pool)
    rows = read_labeled(snakemake.input.labeled, pool["id"]).rows
    if snakemake.wildcards.part == "unlabeled":
        rows = unlabeled_rows(pool.num_rows, rows)
    records = to_records(pool.take(pa.array(rows)))
with timed("write"):
    write_json(records, snakemake.output[0])
logging.info("%d %s records -> %s", len(records), snakemake.wildcards.part, snakemake.output[0])

"""Read a pool's source once, check every record and every run's selection budget,
and write the checked pool (Arrow) with its sidecar (size, source)."""

import logging
import sys

import pyarrow as pa

from selfalign.config import ConfigError, check_budgets
from selfalign.demo_data import generate_demo_records
from selfalign.logs import log_to, timed
from selfalign.pool_meta import write_meta
from selfalign.pools import check_table, describe_source, prepare_pool, write_pool
from selfalign.records import DataError

log_to(snakemake.log[0])
spec = snakemake.params.spec
dataset = snakemake.wildcards.dataset
try:
    with timed("read and check"):
        if "generate" in spec:
            demo = generate_demo_records(spec["generate"]["n_records"], spec["generate"]["seed"])
            table = check_table(pa.Table.from_pylist(demo))
        else:
            table = prepare_pool(spec)
    # The budgets come from the config, not from params: a params change would
    # rerun the pool, and with it every round, when a run only adds rounds.
    check_budgets(snakemake.config, dataset, table.num_rows)
except DataError as err:
    logging.error("%s", err)
    sys.exit(1)
except ConfigError as err:
    logging.error("invalid config: %s", err)
    sys.exit(1)
with timed("write"):
    write_pool(table, snakemake.output.pool)
    write_meta(spec, table.num_rows, table.column_names, snakemake.output.meta)
source = "generated" if "generate" in spec else describe_source(spec)
logging.info("%d records from %s -> %s", table.num_rows, source, snakemake.output.pool)

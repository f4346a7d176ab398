"""Read a pool's source once, check every record and every run's selection budget,
and write the checked pool (Arrow) with its sidecar (size, source)."""

import logging

import pyarrow as pa

from selfalign.cluster.logs import log_to, timed
from selfalign.config import ConfigError, check_budgets
from selfalign.data.demo import generate_demo_records
from selfalign.data.pool_meta import write_meta
from selfalign.data.pools import check_table, describe_source, prepare_pool
from selfalign.io import write_arrow

log_to(snakemake.log[0])
spec = snakemake.params.spec
dataset = snakemake.wildcards.dataset
with timed("read and check"):  # a bad record fails the job, its reason on the console
    if "generate" in spec:
        demo = generate_demo_records(spec["generate"]["n_records"], spec["generate"]["seed"])
        table = check_table(pa.Table.from_pylist(demo))
    else:
        table = prepare_pool(spec)
# The budgets come from the config, not from params: a params change would
# rerun the pool, and with it every round, when a run only adds rounds.
try:
    check_budgets(snakemake.config, dataset, table.num_rows)
except ConfigError as err:
    raise ConfigError(f"invalid config: {err}") from None
with timed("write"):
    write_arrow(table, snakemake.output.pool)
    write_meta(spec, table.num_rows, table.column_names, snakemake.output.meta)
source = "generated" if "generate" in spec else describe_source(spec)
logging.info("%d records from %s -> %s", table.num_rows, source, snakemake.output.pool)

"""A table of each round's labeled set: sizes and category counts."""

from selfalign.cluster.logs import log_to
from selfalign.data.pools import read_records
from selfalign.diverse_evol.labeled import read_labeled
from selfalign.evaluate.reporting import selection_table
from selfalign.io import atomic_output

log_to(snakemake.log[0])
pool = snakemake.input.pool
rounds = [read_records(pool, read_labeled(path).rows) for path in snakemake.input.labeled]
table = selection_table(rounds)
with atomic_output(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False)
print(table.to_string(index=False))

"""A table of each round's labeled set: sizes and category counts."""

from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.records import read_json
from selfalign.reporting import selection_table

log_to(snakemake.log[0])
table = selection_table([read_json(path) for path in snakemake.input])
with atomic_output(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False)
print(table.to_string(index=False))

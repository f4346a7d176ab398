"""A run's judgments in one table: n, Win, Tie, Lose, WS, RS, unparsed."""

from selfalign.cluster.logs import log_to
from selfalign.evaluate.judgments import summary_table
from selfalign.io import atomic_output

log_to(snakemake.log[0])
table = summary_table(snakemake.input, snakemake.params.judgments)
with atomic_output(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False, float_format="%.4f")
print(table.to_string(index=False))

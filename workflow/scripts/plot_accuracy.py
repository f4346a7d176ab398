"""Exact-match accuracy, families by models, a panel per run."""

from selfalign.cluster.logs import log_to
from selfalign.evaluate.reporting import plot_accuracy, read_tables
from selfalign.io import atomic_output

log_to(snakemake.log[0])
tables = read_tables(snakemake.params.runs, snakemake.input)
with atomic_output(snakemake.output[0]) as tmp:
    plot_accuracy(tables, snakemake.wildcards.testset, str(tmp))

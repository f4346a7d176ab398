"""Exact-match accuracy, families by models, a panel per run."""

from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.reporting import plot_accuracy, read_tables

log_to(snakemake.log[0])
tables = read_tables(snakemake.params.runs, snakemake.input)
with atomic_output(snakemake.output[0]) as tmp:
    plot_accuracy(tables, snakemake.wildcards.testset, str(tmp))

"""One figure: the category mix of every run's rounds."""

from selfalign.cluster.logs import log_to
from selfalign.evaluate.reporting import plot_selection, read_tables
from selfalign.io import atomic_output

log_to(snakemake.log[0])
tables = read_tables(snakemake.params.runs, snakemake.input)
with atomic_output(snakemake.output[0]) as tmp:
    plot_selection(tables, str(tmp))

"""Every run's models side by side: one panel per run."""

from pathlib import Path

import pandas as pd

from selfalign.cluster.logs import log_to
from selfalign.evaluate.reporting import plot_model_tables
from selfalign.io import atomic_output

log_to(snakemake.log[0])
tables = {Path(p).parent.name: pd.read_csv(p, sep="\t") for p in snakemake.input}
with atomic_output(snakemake.output[0]) as tmp:
    plot_model_tables(tables, str(tmp))

"""Every run's models side by side: one panel per run."""

from pathlib import Path

import pandas as pd

from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.reporting import plot_model_tables

log_to(snakemake.log[0])
tables = {Path(p).parent.name: pd.read_csv(p, sep="\t") for p in snakemake.input}
with atomic_output(snakemake.output[0]) as tmp:
    plot_model_tables(tables, str(tmp))

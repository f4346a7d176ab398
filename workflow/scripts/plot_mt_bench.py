"""MT-Bench per category and turn, every run's models side by side."""

from pathlib import Path

import pandas as pd

from selfalign.cluster.logs import log_to
from selfalign.evaluate.reporting import plot_mt_bench
from selfalign.io import atomic_output

log_to(snakemake.log[0])
tables = {Path(p).parent.name: pd.read_csv(p, sep="\t") for p in snakemake.input}
with atomic_output(snakemake.output[0]) as tmp:
    plot_mt_bench(tables, str(tmp))

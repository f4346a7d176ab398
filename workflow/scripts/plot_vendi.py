"""Vendi score per round for every run."""

import pandas as pd

from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.reporting import plot_vendi

log_to(snakemake.log[0])
tables = {
    run: pd.read_csv(path, sep="\t")
    for run, path in zip(snakemake.params.runs, snakemake.input, strict=True)
}
with atomic_output(snakemake.output[0]) as tmp:
    plot_vendi(tables, str(tmp))

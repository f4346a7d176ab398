"""RS and Win rate per round, per test set, per run and opponent."""

import pandas as pd

from selfalign.cluster.logs import log_to
from selfalign.evaluate.reporting import plot_judgments
from selfalign.io import atomic_output

log_to(snakemake.log[0])
summary = pd.concat([pd.read_csv(path, sep="\t") for path in snakemake.input])
with atomic_output(snakemake.output[0]) as tmp:
    plot_judgments(summary, str(tmp))

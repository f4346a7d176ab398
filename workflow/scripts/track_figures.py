"""A run's figures, one step a model, logged to its trackers and written as a table."""

import pandas as pd

from selfalign.cluster.logs import log_to
from selfalign.io import atomic_output
from selfalign.train.tracking import log_figures, run_figures

log_to(snakemake.log[0])
tables = {
    name: pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])
    for name in ("models", "judge", "selection", "vendi")
    if (path := snakemake.input.get(name))
}
figures = run_figures(**tables)
log_figures(snakemake.params.tracking, figures)
with atomic_output(snakemake.output[0]) as tmp:
    figures.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
print(figures.to_string(index=False))

"""A run's figures, one step a model, logged to its trackers and written as a table."""

import pandas as pd

from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.tracking import log_figures, run_figures

log_to(snakemake.log[0])
tables = {
    name: pd.read_csv(snakemake.input[name], sep="\t") if name in snakemake.input.keys() else None
    for name in ("models", "selection", "vendi")
}
if tables["models"] is None:  # no evaluation: the rounds alone
    tables["models"] = pd.DataFrame({"model": []})
figures = run_figures(tables["models"], tables["selection"], tables["vendi"])
log_figures(snakemake.params.tracking, figures)
with atomic_output(snakemake.output[0]) as tmp:
    figures.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
print(figures.to_string(index=False))

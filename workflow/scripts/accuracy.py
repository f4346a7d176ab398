"""Exact-match accuracy per task family of every model of a run on one test set."""

from selfalign.cluster.logs import log_to
from selfalign.evaluate.accuracy import accuracy_table
from selfalign.io import atomic_output, read_jsonl

log_to(snakemake.log[0])
paths = dict(zip(snakemake.params.models, snakemake.input, strict=True))
table = accuracy_table({model: read_jsonl(path) for model, path in paths.items()}, paths)
with atomic_output(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False, float_format="%.4f")

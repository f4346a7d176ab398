"""Mean and spread of exact-match accuracy over groups of replicate runs."""

from pathlib import Path

from selfalign.cluster.logs import log_to
from selfalign.evaluate.accuracy import replicate_markdown, replicate_summary
from selfalign.evaluate.reporting import plot_replicates, read_tables
from selfalign.io import atomic_output

log_to(snakemake.log[0])
summary = replicate_summary(
    read_tables(snakemake.params.runs, snakemake.input), snakemake.params.replicates
)
with atomic_output(snakemake.output.table) as tmp:
    summary.to_csv(tmp, sep="\t", index=False, float_format="%.4f")
with atomic_output(snakemake.output.markdown) as tmp:
    Path(tmp).write_text(replicate_markdown(summary))
with atomic_output(snakemake.output.plot) as tmp:
    plot_replicates(summary, snakemake.wildcards.testset, str(tmp))

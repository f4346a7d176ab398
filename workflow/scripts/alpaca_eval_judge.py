"""AlpacaEval win rate of one model's outputs over the reference outputs."""

import logging

from selfalign.cluster.logs import log_to
from selfalign.evaluate.alpaca_eval import judge_outputs, write_annotations, write_leaderboard

log_to(snakemake.log[0])
summary, annotations = judge_outputs(
    snakemake.input.outputs,
    snakemake.input.reference,
    snakemake.params.judge,
    snakemake.params.work_dir,
    snakemake.params.annotator,
    snakemake.params.length_controlled,
)
write_annotations(annotations, snakemake.output.annotations)
write_leaderboard(summary, snakemake.output.leaderboard)
logging.info("%s", summary)

"""Judge one round's answers against an opponent's, in both orders."""

from selfalign.cluster.logs import console, log_to
from selfalign.evaluate.judging import make_judge
from selfalign.evaluate.judgments import answers_from_file, judge_pairs, summarize, unparsed_error
from selfalign.io import write_jsonl

log_to(snakemake.log[0])
settings = snakemake.params.judge
records = judge_pairs(
    answers_from_file(snakemake.input.model),
    answers_from_file(snakemake.input.opponent),
    make_judge(settings),
    model_name=snakemake.params.model_name,
    opponent_name=snakemake.wildcards.opponent,
)
summary = summarize(records)
replies = 2 * len(records)
console(
    f"{snakemake.params.model_name} vs {snakemake.wildcards.opponent} on "
    f"{snakemake.wildcards.testset}: win/tie/lose {summary['win']}/{summary['tie']}/"
    f"{summary['lose']}, RS {summary['RS']:.3f}; {replies - summary['unparsed']} of {replies} "
    f"judge replies parsed"
)
if error := unparsed_error(records, settings["max_unparsed"], snakemake.output[0]):
    raise RuntimeError(error)
write_jsonl(records, snakemake.output[0])

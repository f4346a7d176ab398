"""MT-Bench single-answer grading of one model's answers, both turns."""

from selfalign.cluster.logs import console, log_to
from selfalign.evaluate.judging import make_judge
from selfalign.evaluate.mt_bench import (
    grade,
    read_answers,
    read_questions,
    scores,
    unparsed_error,
)
from selfalign.io import write_jsonl

log_to(snakemake.log[0])
settings = snakemake.params.judge
reference = snakemake.input.reference
records = grade(
    read_questions(snakemake.input.questions),
    read_answers(snakemake.input.answers),
    read_answers(reference) if reference else {},
    make_judge(settings),
    model_name=snakemake.params.model_name,
)
figures = scores(records)
console(
    f"{snakemake.params.model_name} on MT-Bench: {figures['score']:.2f} "
    f"({int(figures['n'])} of {len(records)} turns rated)"
)
if error := unparsed_error(records, settings["max_unparsed"], snakemake.output[0]):
    raise RuntimeError(error)
write_jsonl(records, snakemake.output[0])

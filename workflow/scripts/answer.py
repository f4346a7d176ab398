"""One model (a round's, an iteration's or the base) answers one test set, in order."""

import logging
import time

from selfalign.cluster.launch import start_generation_job
from selfalign.data.testsets import load_testset
from selfalign.generate import generate
from selfalign.io import write_jsonl
from selfalign.models.prompts import with_system


def main():
    start_generation_job(snakemake)
    settings = snakemake.params.generation
    questions = load_testset(snakemake.input.testset)[: snakemake.params.first]
    start = time.perf_counter()
    system = snakemake.params.system  # Humback models answer with their seed tag
    records = with_system([q.as_record() for q in questions], system)
    if system:
        logging.info("system tag: %r", system)
    answers = generate(
        settings, snakemake.params.model, records, prompt_format=snakemake.params.prompt_format
    )
    logging.info(
        "%d answers with %s in %.1f s",
        len(answers),
        settings["backend"],
        time.perf_counter() - start,
    )
    write_jsonl(
        [{**q.record, "answer": a} for q, a in zip(questions, answers, strict=True)],
        snakemake.output[0],
    )


# vLLM starts its engine with spawn, which imports this file again in each worker
if __name__ == "__main__":
    main()

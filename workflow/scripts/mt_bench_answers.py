"""One model answers the MT-Bench questions, turn by turn, as FastChat's model answers."""

import logging
import time

from selfalign.cluster.launch import start_generation_job
from selfalign.evaluate.mt_bench import answer_questions, answer_records, read_questions
from selfalign.generate import generate
from selfalign.io import write_jsonl
from selfalign.models.prompts import with_system


def main():
    start_generation_job(snakemake)
    settings = snakemake.params.generation
    questions = read_questions(snakemake.input.questions)
    start = time.perf_counter()
    answers = answer_questions(
        questions,
        lambda records, temperature: generate(
            settings,
            snakemake.params.model,
            with_system(records, snakemake.params.system),
            settings
            | {"max_new_tokens": snakemake.params.max_new_tokens, "temperature": temperature},
            prompt_format=snakemake.params.prompt_format,
        ),
        snakemake.params.temperature,
    )
    logging.info(
        "%d questions answered with %s in %.1f s",
        len(questions),
        settings["backend"],
        time.perf_counter() - start,
    )
    write_jsonl(answer_records(questions, answers, snakemake.params.model_id), snakemake.output[0])


# vLLM starts its engine with spawn, which imports this file again in each worker
if __name__ == "__main__":
    main()

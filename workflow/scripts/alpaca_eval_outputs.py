"""One model answers the AlpacaEval instructions, written as AlpacaEval model outputs."""

import logging
import time

from selfalign.cluster.launch import start_generation_job
from selfalign.evaluate.alpaca_eval import model_outputs, read_instructions, write_model_outputs
from selfalign.generate import generate
from selfalign.models.prompts import with_system


def main():
    start_generation_job(snakemake)
    settings = snakemake.params.generation
    instructions = read_instructions(snakemake.input.instructions)
    start = time.perf_counter()
    records = [{"instruction": i["instruction"], "input": ""} for i in instructions]
    answers = generate(
        settings,
        snakemake.params.model,
        with_system(records, snakemake.params.system),
        prompt_format=snakemake.params.prompt_format,
    )
    logging.info(
        "%d answers with %s in %.1f s",
        len(answers),
        settings["backend"],
        time.perf_counter() - start,
    )
    write_model_outputs(
        model_outputs(instructions, answers, snakemake.params.generator), snakemake.output[0]
    )


# vLLM starts its engine with spawn, which imports this file again in each worker
if __name__ == "__main__":
    main()

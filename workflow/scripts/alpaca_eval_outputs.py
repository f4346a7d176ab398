"""One model answers the AlpacaEval instructions, written as AlpacaEval model outputs."""

import logging
import time

import torch

from selfalign.cluster.environments import run_in_vllm_environment, workflow_root
from selfalign.cluster.launch import use_job_resources
from selfalign.cluster.logs import log_to
from selfalign.evaluate.alpaca_eval import model_outputs, read_instructions, write_model_outputs
from selfalign.generate import generate
from selfalign.models.prompts import with_system


def main():
    run_in_vllm_environment(
        snakemake.params.generation["backend"], workflow_root(snakemake.scriptdir)
    )
    log_to(snakemake.log[0])
    use_job_resources(snakemake.resources)
    torch.set_num_threads(snakemake.threads)
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

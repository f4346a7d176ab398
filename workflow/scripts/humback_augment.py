"""Stage 4, one shard: the backward model writes an instruction for each text."""

import torch

from selfalign.cluster.environments import run_in_vllm_environment, workflow_root
from selfalign.cluster.launch import use_job_resources
from selfalign.cluster.logs import log_to
from selfalign.generate import generate
from selfalign.humback import backward_prompt
from selfalign.humback.shards import shard
from selfalign.io import read_jsonl, write_jsonl


def main():
    run_in_vllm_environment(
        snakemake.params.generation["backend"], workflow_root(snakemake.scriptdir)
    )
    log_to(snakemake.log[0])
    use_job_resources(snakemake.resources)
    torch.set_num_threads(snakemake.threads)
    settings, sampling = snakemake.params.generation, snakemake.params.sampling
    texts = shard(
        read_jsonl(snakemake.input.texts),
        int(snakemake.wildcards.shard),
        int(snakemake.wildcards.shards),
    )
    instructions = generate(
        settings,
        snakemake.input.model,
        [backward_prompt(t["text"], snakemake.params.prompt_format) for t in texts],
        sampling,
        prompt_format=snakemake.params.prompt_format,
    )
    write_jsonl(
        [
            {"id": t["id"], "instruction": i, "response": t["text"]}
            for t, i in zip(texts, instructions, strict=True)
        ],
        snakemake.output[0],
    )


# vLLM starts its engine with spawn, which imports this file again in each worker
if __name__ == "__main__":
    main()

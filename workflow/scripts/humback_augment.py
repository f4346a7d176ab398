"""Stage 4, one shard: the backward model writes an instruction for each text."""

from selfalign.cluster.launch import start_generation_job
from selfalign.generate import generate
from selfalign.humback import backward_prompt
from selfalign.humback.shards import shard
from selfalign.io import read_jsonl, write_jsonl


def main():
    start_generation_job(snakemake)
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

"""Stage 6, one shard: M_{t-1} scores its share of the augmented pairs from 1 to 5
(or the proxy does, with M_{t-1}'s own scores beside it under ``agreement``)."""

import torch

from selfalign.cluster.environments import run_in_vllm_environment, workflow_root
from selfalign.cluster.launch import use_job_resources
from selfalign.cluster.logs import log_to
from selfalign.humback.curation import Curator, score_pairs
from selfalign.humback.shards import shard
from selfalign.io import read_jsonl, write_jsonl


def main():
    run_in_vllm_environment(
        snakemake.params.generation["backend"], workflow_root(snakemake.scriptdir)
    )
    log_to(snakemake.log[0])
    use_job_resources(snakemake.resources)
    torch.set_num_threads(snakemake.threads)
    pairs = shard(
        read_jsonl(snakemake.input.pairs),
        int(snakemake.wildcards.shard),
        int(snakemake.wildcards.shards),
    )
    curator = Curator(
        snakemake.params.generation,
        snakemake.input.get("model"),
        snakemake.params.prompt_format,
        snakemake.params.system,
    )
    scored = score_pairs(pairs, snakemake.params.curate, curator)
    write_jsonl(scored, snakemake.output[0])


# vLLM starts its engine with spawn, which imports this file again in each worker
if __name__ == "__main__":
    main()

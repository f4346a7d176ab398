"""Stage 6, one shard: M_{t-1} scores its share of the augmented pairs from 1 to 5
(or the proxy does, with M_{t-1}'s own scores beside it under ``agreement``)."""

from selfalign.cluster.launch import start_generation_job
from selfalign.humback.curation import Curator, score_pairs
from selfalign.humback.shards import shard
from selfalign.io import read_jsonl, write_jsonl


def main():
    start_generation_job(snakemake)
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

# Read a pool's source once, check every record, and check the selection budget
# of every run on it: the one job that reads the source, before any GPU job.
rule prepare_pool:
    localrule: True
    input:
        dataset_source,
    output:
        pool="results/pools/{dataset}.arrow",
        meta="results/pools/{dataset}.meta.json",
    params:
        spec=lambda w: pool_source(w.dataset),
    log:
        "results/logs/prepare_pool/{dataset}.log",
    benchmark:
        "results/benchmarks/prepare_pool/{dataset}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/prepare_pool.py"


rule build_base_model:
    input:
        lambda w: pool_file(config["models"][w.model]["build"]["dataset"]),
    output:
        directory("results/models/{model}"),
    params:
        build=lambda w: {
            k: v for k, v in config["models"][w.model]["build"].items() if k != "dataset"
        },
    log:
        "results/logs/build_base_model/{model}.log",
    benchmark:
        "results/benchmarks/build_base_model/{model}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/build_base_model.py"

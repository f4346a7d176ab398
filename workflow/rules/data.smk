# Read a pool's source once, check every record, and check the selection budget
# of every run on it: the one job that reads the source, before any GPU job.
rule prepare_pool:
    localrule: True
    input:
        dataset_source,
    output:
        pool=paths.POOL,
        meta=paths.POOL_META,
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


# A tiny model: its tokenizer trained on the pool; with ``pretrain``, trained on
# the demo families' questions, none of the held-out test set's.
rule build_base_model:
    wildcard_constraints:
        base_model=models_made_by("build"),
    input:
        pool=lambda w: pool_file(config["models"][w.base_model]["build"]["dataset"]),
        held_out=lambda w: pretraining_held_out(w.base_model),
    output:
        directory(paths.BASE_MODEL),
    params:
        build=lambda w: {
            k: v for k, v in config["models"][w.base_model]["build"].items() if k != "dataset"
        },
    threads: 2
    log:
        "results/logs/build_base_model/{base_model}.log",
    benchmark:
        "results/benchmarks/build_base_model/{base_model}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/build_base_model.py"


# A GGUF file (a pip package's, or a path) as a model folder every job can load.
rule convert_gguf_model:
    wildcard_constraints:
        base_model=models_made_by("gguf"),
    input:
        lambda w: config["models"][w.base_model]["gguf"].get("path", []),
    output:
        directory(paths.BASE_MODEL),
    params:
        gguf=lambda w: config["models"][w.base_model]["gguf"],
        key=lambda w: f"models.{w.base_model}.gguf",
    log:
        "results/logs/convert_gguf_model/{base_model}.log",
    benchmark:
        "results/benchmarks/convert_gguf_model/{base_model}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/convert_gguf_model.py"

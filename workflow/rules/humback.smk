# Instruction backtranslation: seed -> backward model -> self-augmentation ->
# M0 -> (self-curation with M_{t-1} -> A_t -> M_t) for t = 1..n_iterations.


rule humback_seed:
    input:
        lambda w: [v for k, v in HUMBACK[w.hb]["seed_data"].items() if k in ("oasst", "path")],
    output:
        "results/{hb}/humback/seed.jsonl",
    params:
        spec=lambda w: HUMBACK[w.hb]["seed_data"],
    log:
        "results/{hb}/logs/humback/seed.log",
    benchmark:
        "results/{hb}/benchmarks/humback/seed.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/humback_seed.py"


rule humback_unlabelled:
    input:
        lambda w: HUMBACK[w.hb]["unlabelled"].get("path", []),
    output:
        texts="results/{hb}/humback/unlabelled.jsonl",
        counts="results/{hb}/humback/unlabelled_counts.json",
    params:
        spec=lambda w: HUMBACK[w.hb]["unlabelled"],
    log:
        "results/{hb}/logs/humback/unlabelled.log",
    benchmark:
        "results/{hb}/benchmarks/humback/unlabelled.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/humback_unlabelled.py"


rule humback_training_data:
    input:
        unpack(humback_training_inputs),
    output:
        "results/{hb}/humback/train_{hbmodel}.json",
    log:
        "results/{hb}/logs/humback/train_{hbmodel}_data.log",
    benchmark:
        "results/{hb}/benchmarks/humback/train_{hbmodel}_data.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/humback_training_data.py"


rule humback_finetune:
    input:
        data="results/{hb}/humback/train_{hbmodel}.json",
        base=lambda w: model_input(HUMBACK[w.hb]["model"]),
    output:
        directory("results/{hb}/humback/{hbmodel}"),
    params:
        base=lambda w: model_path(HUMBACK[w.hb]["model"]),
        training=lambda w: training_settings(HUMBACK[w.hb]["training"]),
        small_data=lambda w: HUMBACK[w.hb]["small_data"],
        model_config=lambda w: HUMBACK[w.hb]["model_config"],
        max_length=lambda w: HUMBACK[w.hb]["max_length"],
        dtype=lambda w: HUMBACK[w.hb]["dtype"],
        seed=lambda w: HUMBACK[w.hb]["seed"],
    threads: 2
    log:
        "results/{hb}/logs/humback/finetune_{hbmodel}.log",
    benchmark:
        "results/{hb}/benchmarks/humback/finetune_{hbmodel}.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/finetune.py"


rule humback_augment_shard:
    input:
        model="results/{hb}/humback/backward",
        texts="results/{hb}/humback/unlabelled.jsonl",
    output:
        "results/{hb}/humback/augmented/shard_{shard}_of_{shards}.jsonl",
    params:
        generation=lambda w: HUMBACK[w.hb]["generation"],
        sampling=lambda w: HUMBACK[w.hb]["augment"],
    threads: 2
    log:
        "results/{hb}/logs/humback/augment_{shard}_of_{shards}.log",
    benchmark:
        "results/{hb}/benchmarks/humback/augment_{shard}_of_{shards}.tsv",
    conda:
        lambda w: generation_env(HUMBACK[w.hb]["generation"]["backend"])
    script:
        "../scripts/humback_augment.py"


rule humback_augment_merge:
    input:
        lambda w: humback_shards(w.hb),
    output:
        "results/{hb}/humback/augmented.jsonl",
    log:
        "results/{hb}/logs/humback/augment_merge.log",
    benchmark:
        "results/{hb}/benchmarks/humback/augment_merge.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/humback_merge.py"


rule humback_curate:
    input:
        unpack(humback_curation_inputs),
    output:
        scored="results/{hb}/humback/curation_{t}.jsonl",
        histogram=report(
            "results/{hb}/humback/curation_{t}_scores.tsv",
            caption="../report/curation_scores.rst",
            category="Humback",
        ),
        curated="results/{hb}/humback/curated_{t}.jsonl",
    params:
        generation=lambda w: HUMBACK[w.hb]["generation"],
        curate=lambda w: HUMBACK[w.hb]["curate"],
    threads: 2
    log:
        "results/{hb}/logs/humback/curate_{t}.log",
    benchmark:
        "results/{hb}/benchmarks/humback/curate_{t}.tsv",
    conda:
        lambda w: generation_env(HUMBACK[w.hb]["generation"]["backend"])
    script:
        "../scripts/humback_curate.py"

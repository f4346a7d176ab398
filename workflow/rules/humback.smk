# Instruction backtranslation: seed -> backward model -> self-augmentation ->
# M0 -> (self-curation with M_{t-1} -> A_t -> M_t) for t = 1..n_iterations.


rule humback_seed:
    localrule: True
    input:
        lambda w: [v for k, v in HUMBACK[w.run]["seed_data"].items() if k in ("oasst", "path")],
    output:
        "results/{run}/humback/seed.jsonl",
    params:
        spec=lambda w: HUMBACK[w.run]["seed_data"],
    log:
        "results/{run}/logs/humback/seed.log",
    benchmark:
        "results/{run}/benchmarks/humback/seed.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_seed.py"


rule humback_unlabeled:
    input:
        lambda w: HUMBACK[w.run]["unlabeled"].get("path", []),
    output:
        texts="results/{run}/humback/unlabeled.jsonl",
        counts="results/{run}/humback/unlabeled_counts.json",
    params:
        spec=lambda w: HUMBACK[w.run]["unlabeled"],
    threads: 2
    log:
        "results/{run}/logs/humback/unlabeled.log",
    benchmark:
        "results/{run}/benchmarks/humback/unlabeled.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_unlabeled.py"


rule humback_training_data:
    localrule: True
    wildcard_constraints:
        model=HUMBACK_MODEL,
    input:
        unpack(humback_training_inputs),
    output:
        "results/{run}/humback/train_{model}.json",
    log:
        "results/{run}/logs/humback/train_{model}_data.log",
    benchmark:
        "results/{run}/benchmarks/humback/train_{model}_data.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_training_data.py"


rule humback_finetune:
    wildcard_constraints:
        model=HUMBACK_MODEL,
    input:
        data="results/{run}/humback/train_{model}.json",
        base=lambda w: model_input(HUMBACK[w.run]["model"]),
    output:
        directory("results/{run}/humback/{model}"),
    params:
        base=lambda w: model_path(HUMBACK[w.run]["model"]),
        training=lambda w: training_settings(HUMBACK[w.run]["training"]),
        small_data=lambda w: HUMBACK[w.run]["small_data"],
        model_config=lambda w: HUMBACK[w.run]["model_config"],
        max_length=lambda w: HUMBACK[w.run]["max_length"],
        prompt_format=lambda w: prompt_format(w.run),
        dtype=lambda w: HUMBACK[w.run]["dtype"],
        seed=lambda w: HUMBACK[w.run]["seed"],
        tracking=lambda w: tracked(w.run, w.model),
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/humback/finetune_{model}.log",
    benchmark:
        "results/{run}/benchmarks/humback/finetune_{model}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/finetune.py"


rule humback_augment_shard:
    input:
        model="results/{run}/humback/backward",
        texts="results/{run}/humback/unlabeled.jsonl",
    output:
        "results/{run}/humback/augmented/shard_{shard}_of_{shards}.jsonl",
    params:
        generation=lambda w: HUMBACK[w.run]["generation"],
        sampling=lambda w: HUMBACK[w.run]["augment"],
        prompt_format=lambda w: prompt_format(w.run),
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/humback/augment_{shard}_of_{shards}.log",
    benchmark:
        "results/{run}/benchmarks/humback/augment_{shard}_of_{shards}.tsv",
    conda:
        lambda w: generation_env(HUMBACK[w.run]["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/humback_augment.py"


rule humback_augment_merge:
    localrule: True
    input:
        lambda w: humback_shards(w.run),
    output:
        "results/{run}/humback/augmented.jsonl",
    log:
        "results/{run}/logs/humback/augment_merge.log",
    benchmark:
        "results/{run}/benchmarks/humback/augment_merge.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_merge.py"


rule humback_curate_shard:
    input:
        unpack(humback_curation_inputs),
    output:
        "results/{run}/humback/curation_{iteration}/shard_{shard}_of_{shards}.jsonl",
    params:
        generation=lambda w: HUMBACK[w.run]["generation"],
        curate=lambda w: HUMBACK[w.run]["curate"],
        prompt_format=lambda w: prompt_format(w.run),
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/humback/curate_{iteration}_{shard}_of_{shards}.log",
    benchmark:
        "results/{run}/benchmarks/humback/curate_{iteration}_{shard}_of_{shards}.tsv",
    conda:
        lambda w: generation_env(HUMBACK[w.run]["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/humback_curate_shard.py"


rule humback_curate:
    localrule: True
    input:
        lambda w: humback_curation_shards(w.run, w.iteration),
    output:
        scored="results/{run}/humback/curation_{iteration}.jsonl",
        histogram=report(
            "results/{run}/humback/curation_{iteration}_scores.tsv",
            caption="../report/curation_scores.rst",
            category="Humback",
        ),
        curated="results/{run}/humback/curated_{iteration}.jsonl",
    params:
        curate=lambda w: HUMBACK[w.run]["curate"],
        prompt_format=lambda w: prompt_format(w.run),
    log:
        "results/{run}/logs/humback/curate_{iteration}.log",
    benchmark:
        "results/{run}/benchmarks/humback/curate_{iteration}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_curate.py"

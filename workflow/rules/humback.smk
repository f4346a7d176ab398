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


rule humback_unlabelled:
    input:
        lambda w: HUMBACK[w.run]["unlabelled"].get("path", []),
    output:
        texts="results/{run}/humback/unlabelled.jsonl",
        counts="results/{run}/humback/unlabelled_counts.json",
    params:
        spec=lambda w: HUMBACK[w.run]["unlabelled"],
    threads: 2
    log:
        "results/{run}/logs/humback/unlabelled.log",
    benchmark:
        "results/{run}/benchmarks/humback/unlabelled.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_unlabelled.py"


rule humback_training_data:
    localrule: True
    input:
        unpack(humback_training_inputs),
    output:
        "results/{run}/humback/train_{hbmodel}.json",
    log:
        "results/{run}/logs/humback/train_{hbmodel}_data.log",
    benchmark:
        "results/{run}/benchmarks/humback/train_{hbmodel}_data.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_training_data.py"


rule humback_finetune:
    input:
        data="results/{run}/humback/train_{hbmodel}.json",
        base=lambda w: model_input(HUMBACK[w.run]["model"]),
    output:
        directory("results/{run}/humback/{hbmodel}"),
    params:
        base=lambda w: model_path(HUMBACK[w.run]["model"]),
        training=lambda w: training_settings(HUMBACK[w.run]["training"]),
        small_data=lambda w: HUMBACK[w.run]["small_data"],
        model_config=lambda w: HUMBACK[w.run]["model_config"],
        max_length=lambda w: HUMBACK[w.run]["max_length"],
        prompt_format=lambda w: prompt_format(w.run),
        dtype=lambda w: HUMBACK[w.run]["dtype"],
        seed=lambda w: HUMBACK[w.run]["seed"],
        tracking=lambda w: tracked(w.run, w.hbmodel),
    threads: 2
    resources:
        gpu=1,  # cards on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/humback/finetune_{hbmodel}.log",
    benchmark:
        "results/{run}/benchmarks/humback/finetune_{hbmodel}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/finetune.py"


rule humback_augment_shard:
    input:
        model="results/{run}/humback/backward",
        texts="results/{run}/humback/unlabelled.jsonl",
    output:
        "results/{run}/humback/augmented/shard_{shard}_of_{shards}.jsonl",
    params:
        generation=lambda w: HUMBACK[w.run]["generation"],
        sampling=lambda w: HUMBACK[w.run]["augment"],
        prompt_format=lambda w: prompt_format(w.run),
    threads: 2
    resources:
        gpu=1,  # cards on one machine; a profile's set-resources may give more
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
        "results/{run}/humback/curation_{t}/shard_{shard}_of_{shards}.jsonl",
    params:
        generation=lambda w: HUMBACK[w.run]["generation"],
        curate=lambda w: HUMBACK[w.run]["curate"],
        prompt_format=lambda w: prompt_format(w.run),
    threads: 2
    resources:
        gpu=1,  # cards on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/humback/curate_{t}_{shard}_of_{shards}.log",
    benchmark:
        "results/{run}/benchmarks/humback/curate_{t}_{shard}_of_{shards}.tsv",
    conda:
        lambda w: generation_env(HUMBACK[w.run]["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/humback_curate_shard.py"


rule humback_curate:
    localrule: True
    input:
        lambda w: humback_curation_shards(w.run, w.t),
    output:
        scored="results/{run}/humback/curation_{t}.jsonl",
        histogram=report(
            "results/{run}/humback/curation_{t}_scores.tsv",
            caption="../report/curation_scores.rst",
            category="Humback",
        ),
        curated="results/{run}/humback/curated_{t}.jsonl",
    params:
        curate=lambda w: HUMBACK[w.run]["curate"],
        prompt_format=lambda w: prompt_format(w.run),
    log:
        "results/{run}/logs/humback/curate_{t}.log",
    benchmark:
        "results/{run}/benchmarks/humback/curate_{t}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/humback_curate.py"

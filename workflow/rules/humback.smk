# Instruction backtranslation: seed -> backward model -> self-augmentation ->
# M0 -> (self-curation with M_{t-1} -> A_t -> M_t) for t = 1..n_iterations.


rule humback_seed:
    localrule: True
    input:
        lambda w: [v for k, v in settings(w.run)["seed_data"].items() if k in ("oasst", "path")],
    output:
        paths.HUMBACK_SEED,
    params:
        spec=lambda w: settings(w.run)["seed_data"],
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
        lambda w: settings(w.run)["unlabeled"].get("path", []),
    output:
        texts=paths.HUMBACK_UNLABELED,
        counts=paths.HUMBACK_UNLABELED_COUNTS,
    params:
        spec=lambda w: settings(w.run)["unlabeled"],
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
        paths.HUMBACK_TRAINING_DATA,
    params:
        prompt_format=lambda w: prompt_format(w.run),
        system_prompt=lambda w: settings(w.run)["system_prompt"],
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


# The same fine-tune as a DiverseEvol round's, on a file of records.
use rule finetune as humback_finetune with:
    wildcard_constraints:
        model=HUMBACK_MODEL,
    input:
        data=rules.humback_training_data.output[0],
        base=base_model_input,
    output:
        directory(paths.HUMBACK_MODEL),
    params:
        training=lambda w: training_settings(humback_training(settings(w.run), w.model)),
        tracking=lambda w: tracked(w.run, w.model),
    threads: 2
    log:
        "results/{run}/logs/humback/finetune_{model}.log",
    benchmark:
        "results/{run}/benchmarks/humback/finetune_{model}.tsv",


rule humback_augment_shard:
    input:
        model=paths.HUMBACK_MODEL.replace("{model}", "backward"),
        texts=paths.HUMBACK_UNLABELED,
    output:
        paths.AUGMENTED_SHARD,
    params:
        generation=lambda w: settings(w.run)["generation"],
        sampling=lambda w: settings(w.run)["augment"],
        prompt_format=lambda w: prompt_format(w.run),
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/humback/augment_{shard}_of_{shards}.log",
    benchmark:
        "results/{run}/benchmarks/humback/augment_{shard}_of_{shards}.tsv",
    conda:
        lambda w: generation_env(settings(w.run)["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/humback_augment.py"


rule humback_augment_merge:
    localrule: True
    input:
        lambda w: humback_shards(w.run),
    output:
        paths.AUGMENTED,
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
        paths.CURATION_SHARD,
    params:
        generation=lambda w: settings(w.run)["generation"],
        curate=lambda w: settings(w.run)["curate"],
        prompt_format=lambda w: prompt_format(w.run),
        system=lambda w: inference_system(w.run),
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/humback/curate_{iteration}_{shard}_of_{shards}.log",
    benchmark:
        "results/{run}/benchmarks/humback/curate_{iteration}_{shard}_of_{shards}.tsv",
    conda:
        lambda w: generation_env(settings(w.run)["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/humback_curate_shard.py"


rule humback_curate:
    localrule: True
    input:
        lambda w: humback_curation_shards(w.run, w.iteration),
    output:
        scored=paths.CURATION,
        histogram=report(
            paths.CURATION_SCORES,
            caption="../report/curation_scores.rst",
            category="Humback",
        ),
        curated=paths.CURATED,
    params:
        curate=lambda w: settings(w.run)["curate"],
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

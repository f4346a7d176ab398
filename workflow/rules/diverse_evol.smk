# One DiverseEvol round r: fine-tune on rd_r_labeled from the base model, embed
# the pool with that model (or score it, for the uncertainty strategies), select
# n_query more records for round r+1.


rule init_round:
    localrule: True
    input:
        pool=run_pool,
    output:
        labeled=paths.LABELED.replace("{round}", "0"),
    params:
        n_labeled=lambda w: settings(w.run)["init_label_num"],
        seed=lambda w: settings(w.run)["seed"],
    log:
        "results/{run}/logs/init_round.log",
    benchmark:
        "results/{run}/benchmarks/init_round.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/init_round.py"


rule finetune:
    input:
        labeled=paths.LABELED,
        pool=run_pool,
        base=base_model_input,
    output:
        directory(paths.ROUND_MODEL),
    params:
        base=lambda w: base_model(w.run),
        training=lambda w: training_settings(settings(w.run)["training"]),
        small_data=lambda w: settings(w.run).get("small_data"),  # Humback's
        model_config=lambda w: settings(w.run).get("model_config"),  # Humback's
        max_length=lambda w: settings(w.run)["max_length"],
        prompt_format=lambda w: prompt_format(w.run),
        dtype=lambda w: settings(w.run)["dtype"],
        seed=lambda w: settings(w.run)["seed"],
        tracking=lambda w: tracked(w.run, f"rd_{w.round}"),
    threads: 1  # one core a job: on a CPU, independent runs train side by side
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/finetune/rd_{round}.log",
    benchmark:
        "results/{run}/benchmarks/finetune/rd_{round}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/finetune.py"


rule embed:
    input:
        model=rules.finetune.output[0],
        pool=run_pool,
    output:
        embeddings=paths.EMBEDDINGS,
    params:
        features="embeddings",
        model=lambda w, input: input.model,
        batch_size=lambda w: settings(w.run)["embedding"]["batch_size"],
        dtype=lambda w: settings(w.run)["embedding"]["dtype"],
        max_length=lambda w: settings(w.run)["max_length"],
        prompt_format=lambda w: prompt_format(w.run),
    threads: 1  # one core a job: on a CPU, independent runs train side by side
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/embed/rd_{round}.log",
    benchmark:
        "results/{run}/benchmarks/embed/rd_{round}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/embed.py"


# The same pass with the LM head: per-record token scores for uncertainty strategies.
use rule embed as score_tokens with:
    output:
        token_scores=paths.TOKEN_SCORES,
    params:
        features="token_scores",
    log:
        "results/{run}/logs/score_tokens/rd_{round}.log",
    benchmark:
        "results/{run}/benchmarks/score_tokens/rd_{round}.tsv",


rule select:
    input:
        unpack(select_inputs),
    output:
        labeled=paths.LABELED,
    wildcard_constraints:
        round=r"[1-9]\d*",
    params:
        round=lambda w: int(w.round),
        whiten_n_components=lambda w: settings(w.run)["whiten_n_components"],
        strategy=lambda w: settings(w.run)["strategy"],
        strategy_options=lambda w: settings(w.run)["strategy_options"],
        n_query=lambda w: settings(w.run)["n_query"],
        seed=lambda w: settings(w.run)["seed"],
    log:
        "results/{run}/logs/select/rd_{round}.log",
    benchmark:
        "results/{run}/benchmarks/select/rd_{round}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/select.py"


# The release's files for a round (its labeled records; the rest of the pool),
# made from the round's rows; diverse_evol.round_json says which a run writes.
rule round_json:
    localrule: True
    input:
        labeled=paths.LABELED,
        pool=run_pool,
    output:
        paths.ROUND_JSON,
    wildcard_constraints:
        part="labeled|unlabeled",
    log:
        "results/{run}/logs/round_json/rd_{round}_{part}.log",
    benchmark:
        "results/{run}/benchmarks/round_json/rd_{round}_{part}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/round_json.py"

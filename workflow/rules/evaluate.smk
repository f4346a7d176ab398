# Each round's model answers the test sets and is judged against its opponents
# in both orders; Vendi scores track the diversity of each round's labeled set.


rule generate_testset:
    input:
        lambda w: pool_file(EVALUATION["testsets"][w.testset]["generate"]["dataset"]),
    output:
        "results/testsets/{testset}.jsonl",
    params:
        spec=lambda w: EVALUATION["testsets"][w.testset]["generate"],
    log:
        "results/logs/generate_testset/{testset}.log",
    benchmark:
        "results/benchmarks/generate_testset/{testset}.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/generate_testset.py"


rule answer:
    input:
        model="results/{run}/output/rd_{rd}",
        testset=lambda w: testset_file(w.testset),
    output:
        "results/{run}/answers/{testset}/rd_{rd}.jsonl",
    params:
        generation=lambda w: EVALUATION["generation"],
    threads: 2
    log:
        "results/{run}/logs/answer/{testset}/rd_{rd}.log",
    benchmark:
        "results/{run}/benchmarks/answer/{testset}/rd_{rd}.tsv",
    conda:
        lambda w: generation_env(EVALUATION["generation"]["backend"])
    script:
        "../scripts/answer.py"


rule judge:
    input:
        model=lambda w: plan.answers_path(w.run, w.testset, int(w.rd)),
        opponent=opponent_answers,
    output:
        "results/{run}/judge/{testset}/rd_{rd}_vs_{opponent}.jsonl",
    params:
        judge=lambda w: EVALUATION["judge"],
        model_name=lambda w: f"{w.run}/rd_{w.rd}",
    log:
        "results/{run}/logs/judge/{testset}/rd_{rd}_vs_{opponent}.log",
    benchmark:
        "results/{run}/benchmarks/judge/{testset}/rd_{rd}_vs_{opponent}.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/judge.py"


rule judge_summary:
    input:
        run_judgments,
    output:
        report(
            "results/{run}/judge/summary.tsv",
            caption="../report/judge_summary.rst",
            category="Judgments",
        ),
    log:
        "results/{run}/logs/judge_summary.log",
    benchmark:
        "results/{run}/benchmarks/judge_summary.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/judge_summary.py"


rule embed_fixed:
    input:
        model=lambda w: model_input(w.model),
        pool=lambda w: pool_file(w.dataset),
    output:
        embeddings="results/embeddings/{dataset}/{model}.npy",
    params:
        model=lambda w: model_path(w.model),
        batch_size=lambda w: config["diverse_evol"]["embedding"]["batch_size"],
        dtype=lambda w: config["diverse_evol"]["embedding"]["dtype"],
        max_length=lambda w: config["diverse_evol"]["max_length"],
    threads: 2
    log:
        "results/logs/embed_fixed/{dataset}/{model}.log",
    benchmark:
        "results/benchmarks/embed_fixed/{dataset}/{model}.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/embed.py"


rule vendi:
    input:
        pool=run_pool,
        embeddings=lambda w: fixed_embeddings(w.run),
        labeled=lambda w: [
            f"results/{w.run}/data/rd_{r}_labeled.json" for r in range(RUNS[w.run]["n_round"] + 1)
        ],
    output:
        report(
            "results/{run}/diversity/vendi.tsv",
            caption="../report/vendi.rst",
            category="Diversity",
        ),
    log:
        "results/{run}/logs/vendi.log",
    benchmark:
        "results/{run}/benchmarks/vendi.tsv",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/vendi.py"

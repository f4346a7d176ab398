# Each round's model answers the test sets and is judged against its opponents
# in both orders; Vendi scores track the diversity of each round's labeled set.


rule generate_testset:
    localrule: True
    input:
        lambda w: pool_file(EVALUATION["testsets"][w.testset]["generate"]["dataset"]),
    output:
        paths.TESTSET,
    params:
        spec=lambda w: EVALUATION["testsets"][w.testset]["generate"],
    log:
        "results/logs/generate_testset/{testset}.log",
    benchmark:
        "results/benchmarks/generate_testset/{testset}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/generate_testset.py"


rule answer:
    wildcard_constraints:
        model=EVALUATED_MODEL,
    input:
        model=trained_model_input,
        testset=lambda w: testset_file(w.testset),
    output:
        paths.ANSWERS,
    params:
        model=lambda w: trained_model_dir(w.run, w.model),
        system=lambda w: inference_system(w.run),
        prompt_format=lambda w: prompt_format(w.run),
        generation=lambda w: EVALUATION["generation"],
        first=lambda w: EVALUATION["testsets"][w.testset].get("first"),
    threads: 1  # one core a job: on a CPU, independent runs train side by side
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/answer/{testset}/{model}.log",
    benchmark:
        "results/{run}/benchmarks/answer/{testset}/{model}.tsv",
    conda:
        lambda w: generation_env(EVALUATION["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/answer.py"


rule judge:
    localrule: True
    wildcard_constraints:
        model=EVALUATED_MODEL,
    input:
        model=lambda w: plan.answers_path(w.run, w.testset, w.model),
        opponent=opponent_answers,
        judge_model=judge_model_input,
    output:
        paths.JUDGMENT,
    params:
        judge=lambda w: judge_settings(),
        model_name=lambda w: f"{w.run}/{w.model}",
    log:
        "results/{run}/logs/judge/{testset}/{model}_vs_{opponent}.log",
    benchmark:
        "results/{run}/benchmarks/judge/{testset}/{model}_vs_{opponent}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/judge.py"


rule judge_summary:
    localrule: True
    input:
        lambda w: [judgment.path for judgment in run_judgments(w.run)],
    output:
        report(
            paths.JUDGE_SUMMARY,
            caption="../report/judge_summary.rst",
            category="Judgments",
        ),
    params:  # what each input judged, in the inputs' order
        judgments=lambda w: [judgment.describe(FAMILIES) for judgment in run_judgments(w.run)],
    log:
        "results/{run}/logs/judge_summary.log",
    benchmark:
        "results/{run}/benchmarks/judge_summary.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/judge_summary.py"


rule embed_fixed:
    input:
        model=lambda w: model_input(w.base_model),
        pool=lambda w: pool_file(w.dataset),
    output:
        embeddings=paths.FIXED_EMBEDDINGS,
    params:
        features="embeddings",
        model=lambda w: model_path(w.base_model),
        batch_size=lambda w: config["diverse_evol"]["embedding"]["batch_size"],
        dtype=lambda w: config["diverse_evol"]["embedding"]["dtype"],
        max_length=lambda w: config["diverse_evol"]["max_length"],
        prompt_format=lambda w: config["diverse_evol"]["prompt_format"],
    threads: 1  # one core a job: on a CPU, independent runs train side by side
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/logs/embed_fixed/{dataset}/{base_model}.log",
    benchmark:
        "results/benchmarks/embed_fixed/{dataset}/{base_model}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/embed.py"


rule vendi:
    input:
        embeddings=lambda w: fixed_embeddings(w.run),
        labeled=run_labeled_files,
    output:
        report(
            paths.VENDI,
            caption="../report/vendi.rst",
            category="Diversity",
        ),
    log:
        "results/{run}/logs/vendi.log",
    benchmark:
        "results/{run}/benchmarks/vendi.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/vendi.py"


rule alpaca_eval_outputs:
    wildcard_constraints:
        model=EVALUATED_MODEL,
    input:
        model=trained_model_input,
        instructions=lambda w: EVALUATION["alpaca_eval"]["instructions"],
    output:
        paths.ALPACA_EVAL_OUTPUTS,
    params:
        model=lambda w: trained_model_dir(w.run, w.model),
        system=lambda w: inference_system(w.run),
        prompt_format=lambda w: prompt_format(w.run),
        generation=lambda w: EVALUATION["generation"],
        generator=lambda w: f"{w.run}/{w.model}",
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/alpaca_eval/{model}_outputs.log",
    benchmark:
        "results/{run}/benchmarks/alpaca_eval/{model}_outputs.tsv",
    conda:
        lambda w: generation_env(EVALUATION["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/alpaca_eval_outputs.py"


rule alpaca_eval_judge:
    localrule: True
    wildcard_constraints:
        model=EVALUATED_MODEL,
    input:
        outputs=paths.ALPACA_EVAL_OUTPUTS,
        reference=lambda w: EVALUATION["alpaca_eval"]["reference"],
    output:
        leaderboard=paths.ALPACA_EVAL_LEADERBOARD,
        annotations=paths.ALPACA_EVAL_ANNOTATIONS,
    params:
        judge=lambda w: EVALUATION["alpaca_eval"]["judge"],
        annotator=lambda w: EVALUATION["alpaca_eval"]["annotator"],
        length_controlled=lambda w: EVALUATION["alpaca_eval"]["length_controlled"],
        work_dir=lambda w: paths.ALPACA_EVAL_WORK.format(run=w.run, model=w.model),
    log:
        "results/{run}/logs/alpaca_eval/{model}_judge.log",
    benchmark:
        "results/{run}/benchmarks/alpaca_eval/{model}_judge.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/alpaca_eval_judge.py"


rule mt_bench_answers:
    wildcard_constraints:
        model=EVALUATED_MODEL,
    input:
        model=trained_model_input,
        questions=lambda w: MT_BENCH["questions"],
    output:
        paths.MT_BENCH_ANSWERS,
    params:
        model=lambda w: trained_model_dir(w.run, w.model),
        system=lambda w: inference_system(w.run),
        prompt_format=lambda w: prompt_format(w.run),
        generation=lambda w: EVALUATION["generation"],
        temperature=lambda w: MT_BENCH["temperature"],
        max_new_tokens=lambda w: MT_BENCH["max_new_tokens"],
        model_id=lambda w: f"{w.run}/{w.model}",
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/mt_bench/{model}_answers.log",
    benchmark:
        "results/{run}/benchmarks/mt_bench/{model}_answers.tsv",
    conda:
        lambda w: generation_env(EVALUATION["generation"]["backend"])
    envmodules:
        "selfalign/vllm"  # vLLM and transformers: either backend
    script:
        "../scripts/mt_bench_answers.py"


rule mt_bench_judge:
    localrule: True
    wildcard_constraints:
        model=EVALUATED_MODEL,
    input:
        answers=paths.MT_BENCH_ANSWERS,
        questions=lambda w: MT_BENCH["questions"],
        reference=lambda w: MT_BENCH.get("reference_answers", []),
        judge_model=judge_model_input,
    output:
        paths.MT_BENCH_JUDGMENTS,
    params:
        judge=lambda w: judge_settings()
        | {"max_tokens": MT_BENCH["judge_max_tokens"], "extra_body": MT_BENCH["judge_extra_body"]},
        model_name=lambda w: f"{w.run}/{w.model}",
    log:
        "results/{run}/logs/mt_bench/{model}_judge.log",
    benchmark:
        "results/{run}/benchmarks/mt_bench/{model}_judge.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/mt_bench_judge.py"


rule lm_eval:
    wildcard_constraints:
        model=EVALUATED_MODEL,
    input:
        model=trained_model_input,
    output:
        paths.LM_EVAL,
    params:
        model=lambda w: trained_model_dir(w.run, w.model),
        lm_eval=lambda w: EVALUATION["lm_eval"],
        prompt_format=lambda w: prompt_format(w.run),
        include_path=str(Path(workflow.basedir) / "workflow" / "lm_eval_tasks"),
    threads: 2
    resources:
        gpu=1,  # GPUs on one machine; a profile's set-resources may give more
    log:
        "results/{run}/logs/lm_eval/{model}.log",
    benchmark:
        "results/{run}/benchmarks/lm_eval/{model}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/lm_eval.py"


rule model_table:
    localrule: True
    input:
        unpack(model_table_inputs),
    output:
        report(
            paths.MODEL_TABLE,
            caption="../report/models.rst",
            category="Models",
        ),
    params:
        models=lambda w: evaluated_models(w.run),
        exact_match=lambda w: EXACT_MATCH["testsets"] if EXACT_MATCH else [],
    log:
        "results/{run}/logs/model_table.log",
    benchmark:
        "results/{run}/benchmarks/model_table.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/model_table.py"


rule accuracy:
    localrule: True
    input:
        lambda w: [plan.answers_path(w.run, w.testset, m) for m in FAMILIES[w.run].names()],
    output:
        report(
            paths.ACCURACY,
            caption="../report/accuracy.rst",
            category="Accuracy",
        ),
    params:
        models=lambda w: FAMILIES[w.run].names(),
    log:
        "results/{run}/logs/accuracy/{testset}.log",
    benchmark:
        "results/{run}/benchmarks/accuracy/{testset}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/accuracy.py"


rule plot_accuracy:
    localrule: True
    input:
        expand(paths.ACCURACY, run=FAMILIES, testset="{testset}"),
    output:
        report(
            paths.ACCURACY_PLOT,
            caption="../report/accuracy.rst",
            category="Accuracy",
        ),
    params:
        runs=list(FAMILIES),
    log:
        "results/logs/plot_accuracy/{testset}.log",
    benchmark:
        "results/benchmarks/plot_accuracy/{testset}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/plot_accuracy.py"


rule replicate_accuracy:
    localrule: True
    input:
        lambda w: expand(paths.ACCURACY, run=replicate_runs(), testset=w.testset),
    output:
        table=paths.REPLICATES_TABLE,
        markdown=paths.REPLICATES_MARKDOWN,
        plot=report(
            paths.REPLICATES_PLOT,
            caption="../report/accuracy_replicates.rst",
            category="Accuracy",
        ),
    params:
        runs=replicate_runs(),
        replicates=lambda w: EXACT_MATCH["replicates"],
    log:
        "results/logs/replicate_accuracy/{testset}.log",
    benchmark:
        "results/benchmarks/replicate_accuracy/{testset}.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/replicate_accuracy.py"


rule plot_mt_bench:
    localrule: True
    input:
        expand(paths.MODEL_TABLE, run=FAMILIES),
    output:
        report(paths.MT_BENCH_PLOT, caption="../report/mt_bench.rst", category="Models"),
    log:
        "results/logs/plot_mt_bench.log",
    benchmark:
        "results/benchmarks/plot_mt_bench.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/plot_mt_bench.py"

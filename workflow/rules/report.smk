rule selection_summary:
    localrule: True
    input:
        pool=run_pool,
        labeled=run_labeled_files,
    output:
        report(
            paths.SELECTION_SUMMARY,
            caption="../report/selection_summary.rst",
            category="Selection",
        ),
    log:
        "results/{run}/logs/selection_summary.log",
    benchmark:
        "results/{run}/benchmarks/selection_summary.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/selection_summary.py"


rule plot_selection:
    localrule: True
    input:
        expand(paths.SELECTION_SUMMARY, run=RUNS),
    output:
        report(
            paths.SELECTION_PLOT,
            caption="../report/selection_summary.rst",
            category="Selection",
        ),
    params:
        runs=list(RUNS),
    log:
        "results/logs/plot_selection.log",
    benchmark:
        "results/benchmarks/plot_selection.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/plot_selection.py"


rule plot_judgments:
    localrule: True
    input:
        lambda w: expand(paths.JUDGE_SUMMARY, run=sorted({j.run for j in JUDGMENTS})),
    output:
        report(
            paths.JUDGE_PLOT,
            caption="../report/judge_summary.rst",
            category="Judgments",
        ),
    log:
        "results/logs/plot_judgments.log",
    benchmark:
        "results/benchmarks/plot_judgments.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/plot_judgments.py"


rule plot_vendi:
    localrule: True
    input:
        expand(paths.VENDI, run=RUNS),
    output:
        report(paths.VENDI_PLOT, caption="../report/vendi.rst", category="Diversity"),
    params:
        runs=list(RUNS),
    log:
        "results/logs/plot_vendi.log",
    benchmark:
        "results/benchmarks/plot_vendi.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/plot_vendi.py"


rule plot_models:
    localrule: True
    input:
        expand(paths.MODEL_TABLE, run=FAMILIES),
    output:
        report(paths.MODELS_PLOT, caption="../report/models_plot.rst", category="Models"),
    log:
        "results/logs/plot_models.log",
    benchmark:
        "results/benchmarks/plot_models.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/plot_models.py"


rule track_figures:
    localrule: True  # wandb online needs the network, which compute nodes often lack
    input:
        unpack(figures_inputs),
    output:
        paths.TRACKED_FIGURES,
    params:
        tracking=lambda w: tracked(w.run, "figures"),
    log:
        "results/{run}/logs/track_figures.log",
    benchmark:
        "results/{run}/benchmarks/track_figures.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/track_figures.py"

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


# Publishing, on request only (`snakemake export`): each run's data as Parquet with
# a dataset card, a model card per trained model, and push.json for selfalign-push;
# `snakemake push` exports and uploads in one go.
rule export_dataset:
    localrule: True
    input:
        unpack(export_inputs),
    output:
        directory(paths.EXPORT_DATASET),
    params:
        name=lambda w: w.run,
        method=lambda w: "DiverseEvol" if w.run in RUNS else "Humback",
        settings=lambda w: settings(w.run),
    log:
        "results/{run}/logs/export_dataset.log",
    benchmark:
        "results/{run}/benchmarks/export_dataset.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/export_dataset.py"


rule export_model_cards:
    localrule: True
    input:
        unpack(model_card_inputs),
    output:
        cards=directory(paths.EXPORT_MODEL_CARDS),
        push=paths.EXPORT_PUSH,
    params:
        models=lambda w: exported_models(w.run),
        dataset_repo=lambda w: config["export"].get("dataset_repo", "").format(run=w.run),
    log:
        "results/{run}/logs/export_model_cards.log",
    benchmark:
        "results/{run}/benchmarks/export_model_cards.tsv",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/export_model_cards.py"


rule export:
    localrule: True
    input:
        expand(paths.EXPORT_DATASET, run=FAMILIES),
        expand(paths.EXPORT_PUSH, run=FAMILIES),


rule push_run:
    localrule: True  # compute nodes often have no network
    input:
        dataset=paths.EXPORT_DATASET,
        push=paths.EXPORT_PUSH,
    output:
        paths.EXPORT_PUSHED,
    params:
        private=lambda w: config["export"]["private"],
    log:
        "results/{run}/logs/push.log",
    conda:
        "../../envs/train.yaml"
    envmodules:
        "selfalign/train"
    script:
        "../scripts/push.py"


rule push:
    localrule: True
    input:
        expand(paths.EXPORT_PUSHED, run=FAMILIES),

rule selection_summary:
    input:
        lambda w: [
            f"results/{w.run}/data/rd_{r}_labeled.json"
            for r in range(RUNS[w.run]["n_round"] + 1)
        ],
    output:
        "results/{run}/selection_summary.tsv",
    log:
        "results/{run}/logs/selection_summary.log",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/selection_summary.py"


rule plot_selection:
    input:
        expand("results/{run}/selection_summary.tsv", run=RUNS),
    output:
        report("results/selection_summary.png", caption="../report/selection_summary.rst"),
    params:
        runs=list(RUNS),
    log:
        "results/logs/plot_selection.log",
    conda:
        "../../envs/train.yaml"
    script:
        "../scripts/plot_selection.py"

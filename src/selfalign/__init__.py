"""selfalign: LLMs that choose and make their own instruction-tuning data.

Plain Python with no Snakemake inside; the workflow's scripts read their
inputs, call it and write their outputs. The packages follow the pipeline, and
each imports only from its own layer or those above it in this list:

    io             files written whole: JSON, JSON Lines, Arrow
    paths          every file the workflow makes, named once
    data/          instruction records, pools, test sets, the demo data
    cluster/       GPUs, launchers, job logs, environments, the results folder's claim
    models/        loading models and tokenizers; records as prompts and token ids
    train/         the fine-tune: loop, checkpoints, batch sizes, memory fit, tracking
    generate/      answers from transformers or vLLM
    diverse_evol/  rounds: embed, select (k-center and baselines), labeled sets, Vendi
    humback/       seed pairs, unlabeled text, self-augmentation, self-curation
    evaluate/      pairwise judges, AlpacaEval, accuracy, lm-eval, tables and plots
    config, plan   the config's checks; which models, answers and judgments a run makes

Importing the package, or the modules the workflow reads while it builds the
DAG (``config``, ``plan``, ``data.pool_meta``, ``diverse_evol.selection``),
never imports torch or transformers; those load inside the modules that need
them.
"""

__version__ = "0.1.0"

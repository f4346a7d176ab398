"""Every file the workflow makes, named once.

Each name is a template in Snakemake's wildcard syntax: a rule's output as it
stands, another rule's input where the wildcards are the same, and a path
once filled in with ``str.format``. Logs and benchmark files are named in
their rules alone. The release's names (``rd_N``, ``M_N``) stay in the file
names.
"""

# Pools, base models and test sets, shared by every run
POOL = "results/pools/{dataset}.arrow"
POOL_META = "results/pools/{dataset}.meta.json"  # its size, read while planning
BASE_MODEL = "results/models/{base_model}"  # built or converted here
FIXED_EMBEDDINGS = "results/embeddings/{dataset}/{base_model}.npy"  # for Vendi scores
TESTSET = "results/testsets/{testset}.jsonl"  # a generated test set

# A DiverseEvol round
LABELED = "results/{run}/data/rd_{round}_labeled.tsv"
ROUND_JSON = "results/{run}/data/rd_{round}_{part}.json"  # the release's views
ROUND_MODEL = "results/{run}/output/rd_{round}"
EMBEDDINGS = "results/{run}/embeddings/rd_{round}.npy"
TOKEN_SCORES = "results/{run}/token_scores/rd_{round}.tsv"
SELECTION_SUMMARY = "results/{run}/selection_summary.tsv"
VENDI = "results/{run}/diversity/vendi.tsv"

# Humback
HUMBACK_SEED = "results/{run}/humback/seed.jsonl"
HUMBACK_UNLABELED = "results/{run}/humback/unlabeled.jsonl"
HUMBACK_UNLABELED_COUNTS = "results/{run}/humback/unlabeled_counts.json"
HUMBACK_TRAINING_DATA = "results/{run}/humback/train_{model}.json"
HUMBACK_MODEL = "results/{run}/humback/{model}"  # backward, M0, M1, ...
AUGMENTED_SHARD = "results/{run}/humback/augmented/shard_{shard}_of_{shards}.jsonl"
AUGMENTED = "results/{run}/humback/augmented.jsonl"
CURATION_SHARD = "results/{run}/humback/curation_{iteration}/shard_{shard}_of_{shards}.jsonl"
CURATION = "results/{run}/humback/curation_{iteration}.jsonl"
CURATION_SCORES = "results/{run}/humback/curation_{iteration}_scores.tsv"
CURATED = "results/{run}/humback/curated_{iteration}.jsonl"  # A_t

# Evaluation of a run's models (rd_N, M_N or base)
ANSWERS = "results/{run}/answers/{testset}/{model}.jsonl"
JUDGMENT = "results/{run}/judge/{testset}/{model}_vs_{opponent}.jsonl"
JUDGE_SUMMARY = "results/{run}/judge/summary.tsv"
JUDGE_SERVER = "results/judge_server"  # the shared local vllm serve's state
ACCURACY = "results/{run}/accuracy/{testset}.tsv"
ALPACA_EVAL_OUTPUTS = "results/{run}/alpaca_eval/{model}_outputs.json"
ALPACA_EVAL_LEADERBOARD = "results/{run}/alpaca_eval/{model}_leaderboard.tsv"
ALPACA_EVAL_ANNOTATIONS = "results/{run}/alpaca_eval/{model}_annotations.json"
ALPACA_EVAL_WORK = "results/{run}/alpaca_eval/work/{model}"  # its cache, kept on failure
LM_EVAL = "results/{run}/lm_eval/{model}.tsv"
MT_BENCH_ANSWERS = "results/{run}/mt_bench/{model}_answers.jsonl"
MT_BENCH_JUDGMENTS = "results/{run}/mt_bench/{model}_judgments.jsonl"
MODEL_TABLE = "results/{run}/models.tsv"
TRACKED_FIGURES = "results/{run}/tracked_figures.tsv"

# What `snakemake export` writes for a run, and selfalign-push uploads
EXPORT_DATASET = "results/{run}/export/dataset"
EXPORT_MODEL_CARDS = "results/{run}/export/model_cards"
EXPORT_PUSH = "results/{run}/export/push.json"
EXPORT_PUSHED = "results/{run}/export/pushed.json"  # what `snakemake push` uploaded

# Reports across runs
SELECTION_PLOT = "results/selection_summary.png"
JUDGE_PLOT = "results/report/judge.png"
VENDI_PLOT = "results/report/vendi.png"
MODELS_PLOT = "results/report/models.png"
MT_BENCH_PLOT = "results/report/mt_bench.png"
ACCURACY_PLOT = "results/report/accuracy_{testset}.png"
REPLICATES_TABLE = "results/report/accuracy_{testset}_replicates.tsv"
REPLICATES_MARKDOWN = "results/report/accuracy_{testset}_replicates.md"
REPLICATES_PLOT = "results/report/accuracy_{testset}_replicates.png"

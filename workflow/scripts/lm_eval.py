"""One model's scores on the lm-evaluation-harness tasks of the config."""

import torch

from selfalign.cluster.launch import use_job_resources
from selfalign.cluster.logs import log_to
from selfalign.evaluate.lm_benchmarks import results_table, run_benchmarks, write_table
from selfalign.models.loading import best_device

log_to(snakemake.log[0])
use_job_resources(snakemake.resources)
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.lm_eval
results = run_benchmarks(
    snakemake.params.model,
    settings["tasks"],
    include_path=snakemake.params.include_path,
    device=best_device() if settings["device"] == "auto" else settings["device"],
    batch_size=settings["batch_size"],
    dtype=settings["dtype"],
    num_fewshot=settings.get("num_fewshot"),
    chat_template=snakemake.params.prompt_format == "chat_template",
)
write_table(results_table(results), snakemake.output[0])

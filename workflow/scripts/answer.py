"""One round's model answers one test set, in the test set's order."""

import logging
import time

import torch

from selfalign.generation import Sampling, get_backend
from selfalign.jsonl import write_jsonl
from selfalign.logs import log_to
from selfalign.testsets import load_testset

log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.generation
questions = load_testset(snakemake.input.testset)
sampling = Sampling(
    max_new_tokens=settings["max_new_tokens"],
    temperature=settings["temperature"],
    top_p=settings["top_p"],
    seed=settings["seed"],
)
start = time.perf_counter()
answers = get_backend(settings["backend"])(
    snakemake.input.model,
    [q.as_record() for q in questions],
    sampling,
    batch_size=settings["batch_size"],
    dtype=settings["dtype"],
)
logging.info(
    "%d answers with %s in %.1f s", len(answers), settings["backend"], time.perf_counter() - start
)
write_jsonl(
    [{**q.record, "answer": a} for q, a in zip(questions, answers, strict=True)],
    snakemake.output[0],
)

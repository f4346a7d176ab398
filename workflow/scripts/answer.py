"""One round's model answers one test set, in the test set's order."""

import json
import logging
import time

import torch

from selfalign.files import atomic_output
from selfalign.generation import Sampling, get_backend
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
with atomic_output(snakemake.output[0]) as tmp, open(tmp, "w", encoding="utf-8") as f:
    for question, answer in zip(questions, answers, strict=True):
        f.write(json.dumps({**question.record, "answer": answer}, ensure_ascii=False) + "\n")

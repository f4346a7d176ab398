"""Stages 6-7: M_{t-1} scores every augmented pair; A_t keeps the best."""

import logging

import pandas as pd
import torch

from selfalign.files import atomic_output
from selfalign.generation import generate
from selfalign.gpus import claim_gpus
from selfalign.humback import SEED_TAG
from selfalign.humback.curation import (
    curated,
    curation_prompt,
    parse_curation_score,
    proxy_curation_reply,
    score_histogram,
)
from selfalign.jsonl import read_jsonl, write_jsonl
from selfalign.logs import log_to

log_to(snakemake.log[0])
claim_gpus(int(snakemake.resources.get("gpu", 0)))
torch.set_num_threads(snakemake.threads)
settings, curate = snakemake.params.generation, snakemake.params.curate
pairs = read_jsonl(snakemake.input.pairs)
if curate["scorer"] == "proxy":
    replies = [proxy_curation_reply(p["instruction"], p["response"]) for p in pairs]
else:
    replies = generate(
        settings,
        snakemake.input.model,
        # the user turn of the model's own prompt format, with the tag used at inference
        [
            {"instruction": curation_prompt(p["instruction"], p["response"]), "system": SEED_TAG}
            for p in pairs
        ],
        curate,
    )
scored = [
    {**p, "reply": r, "score": parse_curation_score(r)} for p, r in zip(pairs, replies, strict=True)
]
histogram = score_histogram([p["score"] for p in scored])
kept = curated(
    scored,
    threshold=curate["threshold"],
    min_chars=curate["min_instruction_chars"],
    max_chars=curate["max_instruction_chars"],
)
logging.info(
    "scores %s; %d of %d pairs kept (score >= %d)",
    histogram,
    len(kept),
    len(scored),
    curate["threshold"],
)
write_jsonl(scored, snakemake.output.scored)
with atomic_output(snakemake.output.histogram) as tmp:
    pd.DataFrame([{**histogram, "kept": len(kept), "pairs": len(scored)}]).to_csv(
        tmp, sep="\t", index=False
    )
write_jsonl(
    [{k: p[k] for k in ("id", "instruction", "response", "score")} for p in kept],
    snakemake.output.curated,
)

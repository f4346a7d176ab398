"""Select n_query more records: round r's sets from round r-1's."""

import logging

import numpy as np

from selfalign.embedding import TOKEN_SCORES
from selfalign.files import write_json
from selfalign.logs import log_to
from selfalign.records import read_json
from selfalign.rounds import next_round

log_to(snakemake.log[0])
rnd = int(snakemake.wildcards.rd)
pool = read_json(snakemake.input.pool)
# Only strategies that need embeddings or token scores get them.
path = snakemake.input.get("embeddings")
embeddings = np.load(path) if path else None
path = snakemake.input.get("token_scores")
token_scores = None
if path:
    import pandas as pd  # only uncertainty runs pay for it

    table = pd.read_csv(path, sep="\t")
    if table["id"].astype(str).tolist() != [str(r["id"]) for r in pool]:
        raise ValueError(f"{path}: ids are not the pool's, in order; delete it and rerun")
    token_scores = {name: table[name].to_numpy() for name in TOKEN_SCORES}
labeled, unlabeled = next_round(
    pool,
    read_json(snakemake.input.labeled),
    read_json(snakemake.input.unlabeled),
    strategy=snakemake.params.strategy,
    n_query=snakemake.params.n_query,
    seed=snakemake.params.seed,
    rnd=rnd,
    embeddings=embeddings,
    token_scores=token_scores,
)
write_json(unlabeled, snakemake.output.unlabeled)
write_json(labeled, snakemake.output.labeled)
logging.info(
    "round %d (%s): %d labeled, %d unlabeled",
    rnd,
    snakemake.params.strategy,
    len(labeled),
    len(unlabeled),
)

"""Select n_query more records: round r's labeled rows from round r-1's."""

import logging

import numpy as np

from selfalign.cluster.logs import log_to, timed
from selfalign.diverse_evol.labeled import read_labeled, write_labeled
from selfalign.diverse_evol.rounds import next_picks
from selfalign.diverse_evol.token_scores import read_token_scores
from selfalign.diverse_evol.whitening import whiten
from selfalign.io import open_arrow

log_to(snakemake.log[0])
round = snakemake.params.round
with timed("read"):
    pool_ids = open_arrow(snakemake.input.pool, ["id"])["id"]
    previous = read_labeled(snakemake.input.labeled, pool_ids)
    # Only strategies that need embeddings or token scores get them.
    path = snakemake.input.get("embeddings")
    embeddings = np.load(path) if path else None
    path = snakemake.input.get("token_scores")
    token_scores = read_token_scores(path, pool_ids.to_pylist()) if path else None
if embeddings is not None and snakemake.params.whiten_n_components:
    with timed("whiten"):
        embeddings = whiten(embeddings, snakemake.params.whiten_n_components)
with timed("select"):
    picks = next_picks(
        len(pool_ids),
        previous.rows,
        strategy=snakemake.params.strategy,
        n_query=snakemake.params.n_query,
        seed=snakemake.params.seed,
        round=round,
        embeddings=embeddings,
        token_scores=token_scores,
        options=snakemake.params.strategy_options,
    )
with timed("write"):
    labeled = previous.extend(picks, pool_ids.take(picks).to_pylist(), round)
    write_labeled(labeled, snakemake.output.labeled)
logging.info(
    "round %d (%s): %d labeled, %d unlabeled",
    round,
    snakemake.params.strategy,
    len(labeled.rows),
    len(pool_ids) - len(labeled.rows),
)

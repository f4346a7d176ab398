"""DiverseEvol rounds: which pool rows are labeled, round by round.

A round's state is its labeled rows in the order they were chosen; the
unlabeled set is the rest of the pool, in pool order. Invariants every
function here keeps (and checks): labeled rows are distinct rows of the pool;
a round adds exactly ``n_query`` of the unlabeled rows; the same seed gives
the same rows.
"""

from __future__ import annotations

import numpy as np

from selfalign.diverse_evol.selection import Query, get_strategy


def round_seed(seed: int, round: int) -> int:
    """An independent, reproducible seed for one round of a run."""
    return int(np.random.SeedSequence([seed, round]).generate_state(1)[0])


def initial_rows(n_pool: int, n_labeled: int, seed: int) -> np.ndarray:
    """Round 0: ``n_labeled`` pool rows drawn at random, in the order drawn."""
    if not 0 < n_labeled <= n_pool:
        raise ValueError(f"init_label_num={n_labeled} must be in 1..{n_pool} (the pool size)")
    rng = np.random.default_rng(round_seed(seed, 0))
    return rng.choice(n_pool, n_labeled, replace=False).astype(np.int64)


def unlabeled_rows(n_pool: int, labeled: np.ndarray) -> np.ndarray:
    """The pool rows not in ``labeled``, in pool order."""
    mask = np.ones(n_pool, dtype=bool)
    mask[labeled] = False
    return np.flatnonzero(mask)


def next_picks(
    n_pool: int,
    labeled: np.ndarray,
    *,
    strategy: str,
    n_query: int,
    seed: int,
    round: int,
    embeddings: np.ndarray | None = None,
    token_scores: dict[str, np.ndarray] | None = None,
    options: dict | None = None,
) -> np.ndarray:
    """The ``n_query`` rows that round number ``round`` adds to the previous round's labeled rows.

    ``embeddings`` and ``token_scores`` are pool-aligned, for strategies that need them.
    """
    labeled = np.asarray(labeled, dtype=np.int64)
    if len(np.unique(labeled)) != len(labeled) or not ((labeled >= 0) & (labeled < n_pool)).all():
        raise ValueError(f"the labeled rows are not distinct rows of a {n_pool}-record pool")
    unlabeled = unlabeled_rows(n_pool, labeled)
    if n_query > len(unlabeled):
        raise ValueError(f"n_query={n_query} but only {len(unlabeled)} records are unlabeled")
    chooser = get_strategy(strategy)
    given = {"embeddings": embeddings, "token_scores": token_scores}.get(chooser.needs)
    columns = given.values() if isinstance(given, dict) else [given]
    if chooser.needs and (given is None or any(len(c) != n_pool for c in columns)):
        raise ValueError(f"strategy {strategy!r} needs {chooser.needs} for every pool record")
    query = Query(
        labeled,
        unlabeled,
        n_query,
        round_seed(seed, round),
        embeddings,
        token_scores,
        options or {},
    )
    picks = np.asarray(chooser.select(query), dtype=np.int64)
    free = np.zeros(n_pool, dtype=bool)
    free[unlabeled] = True
    if len(picks) != n_query or len(np.unique(picks)) != n_query or not free[picks].all():
        raise RuntimeError(f"strategy {strategy!r} must pick {n_query} distinct unlabeled records")
    return picks

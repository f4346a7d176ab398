"""DiverseEvol rounds: the labeled/unlabeled split of a pool, round by round.

Invariants every function here keeps (and checks): labeled and unlabeled are
disjoint and together are the pool; a round adds exactly ``n_query`` records
to labeled and removes them from unlabeled; the same seed gives the same split.
"""

from __future__ import annotations

import numpy as np

from selfalign.selection import Query, get_strategy


def round_seed(seed: int, rnd: int) -> int:
    """An independent, reproducible seed for round ``rnd`` of a run."""
    return int(np.random.SeedSequence([seed, rnd]).generate_state(1)[0])


def initial_split(pool: list[dict], n_labeled: int, seed: int) -> tuple[list[dict], list[dict]]:
    """Round 0: ``n_labeled`` records drawn at random; the rest stay unlabeled."""
    if not 0 < n_labeled <= len(pool):
        raise ValueError(f"init_label_num={n_labeled} must be in 1..{len(pool)} (the pool size)")
    chosen = np.random.default_rng(round_seed(seed, 0)).choice(len(pool), n_labeled, replace=False)
    taken = set(chosen.tolist())
    return [pool[i] for i in chosen], [r for i, r in enumerate(pool) if i not in taken]


def _positions(pool_index: dict[str, int], records: list[dict], what: str) -> np.ndarray:
    try:
        return np.array([pool_index[r["id"]] for r in records], dtype=np.int64)
    except KeyError as err:
        raise ValueError(f"{what} holds id {err.args[0]!r}, which is not in the pool") from None


def next_round(
    pool: list[dict],
    labeled: list[dict],
    unlabeled: list[dict],
    *,
    strategy: str,
    n_query: int,
    seed: int,
    rnd: int,
    embeddings: np.ndarray | None = None,
    token_scores: dict[str, np.ndarray] | None = None,
) -> tuple[list[dict], list[dict]]:
    """Labeled and unlabeled records of round ``rnd`` from those of ``rnd - 1``.

    ``embeddings`` and ``token_scores`` are pool-aligned, for strategies that need them.
    """
    index = {r["id"]: i for i, r in enumerate(pool)}
    lab = _positions(index, labeled, "the labeled set")
    unl = _positions(index, unlabeled, "the unlabeled set")
    if len(lab) + len(unl) != len(pool) or len(np.union1d(lab, unl)) != len(pool):
        raise ValueError("labeled and unlabeled sets do not split the pool exactly")
    if n_query > len(unl):
        raise ValueError(f"n_query={n_query} but only {len(unl)} records are unlabeled")
    chooser = get_strategy(strategy)
    given = {"embeddings": embeddings, "token_scores": token_scores}.get(chooser.needs)
    columns = given.values() if isinstance(given, dict) else [given]
    if chooser.needs and (given is None or any(len(c) != len(pool) for c in columns)):
        raise ValueError(f"strategy {strategy!r} needs {chooser.needs} for every pool record")
    query = Query(lab, unl, n_query, round_seed(seed, rnd), embeddings, token_scores)
    picks = chooser.select(query)
    if len(picks) != n_query or len(set(picks)) != n_query or not set(picks) <= set(unl.tolist()):
        raise RuntimeError(f"strategy {strategy!r} must pick {n_query} distinct unlabeled records")
    picked = set(picks)
    return labeled + [pool[i] for i in picks], [
        r for r in unlabeled if index[r["id"]] not in picked
    ]

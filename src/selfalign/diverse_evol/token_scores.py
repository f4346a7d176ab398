"""The token-score table of a pool pass: one row per pool record, in pool order.

``token_scores/rd_{round}.tsv``: an ``id`` column (always read as text: ``"007"``
and ``"NA"`` stay as they are) and one column per name in
``selfalign.diverse_evol.embedding.TOKEN_SCORES``.
"""

from __future__ import annotations

import os

import numpy as np

from selfalign.diverse_evol.embedding import TOKEN_SCORES
from selfalign.io import atomic_output


def write_token_scores(ids: list[str], scores: dict[str, np.ndarray], path: str | os.PathLike):
    import pandas as pd

    table = pd.DataFrame({"id": ids} | {name: scores[name] for name in TOKEN_SCORES})
    with atomic_output(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.8g")


def read_token_scores(path: str | os.PathLike, pool_ids: list[str]) -> dict[str, np.ndarray]:
    """The scores, checked to be the pool's records in the pool's order."""
    import pandas as pd

    table = pd.read_csv(path, sep="\t", dtype={"id": str}, keep_default_na=False)
    missing = [name for name in TOKEN_SCORES if name not in table.columns]
    if missing or table["id"].tolist() != list(pool_ids):
        why = f"no column {missing}" if missing else "its ids are not the pool's, in order"
        raise ValueError(f"{path}: {why}; delete it and rerun")
    return {name: table[name].to_numpy(dtype=np.float64) for name in TOKEN_SCORES}

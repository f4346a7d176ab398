"""Uniform random sampling: the baseline every strategy is compared with."""

from __future__ import annotations

import numpy as np

from selfalign.diverse_evol.selection import Query, register


@register
class RandomSampling:
    name = "random"
    needs = None

    def select(self, query: Query) -> list[int]:
        rng = np.random.default_rng(query.seed)
        return rng.choice(query.unlabeled, size=query.n_query, replace=False).tolist()

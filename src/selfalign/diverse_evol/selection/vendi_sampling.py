"""The DiverseEvol release's VendiSampling: draw random sets of ``n_query``
unlabeled records and keep the one that makes the labeled set most diverse by
Vendi score (cosine kernel), or the one at another rank of that order."""

from __future__ import annotations

import numpy as np

from selfalign.diverse_evol.diversity import vendi_score
from selfalign.diverse_evol.selection import Query, register


@register
class VendiSampling:
    name = "vendi"
    needs = "embeddings"

    def select(self, query: Query) -> list[int]:
        """Options: ``draws`` (the release's max_random_times, 10 here) and ``rank``
        (its vendi_argmax_rank: 0 the most diverse draw, -1 the least)."""
        draws = query.options.get("draws", 10)
        rank = query.options.get("rank", 0)
        rng = np.random.default_rng(query.seed)
        candidates = [
            rng.choice(query.unlabeled, size=query.n_query, replace=False) for _ in range(draws)
        ]
        scores = [
            vendi_score(query.embeddings[np.concatenate([query.labeled, picks])])
            for picks in candidates
        ]
        order = sorted(range(draws), key=lambda i: -scores[i])  # stable: ties keep draw order
        return candidates[order[rank]].tolist()

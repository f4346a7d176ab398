"""Selection strategies behind a registry.

A strategy is a class with a ``name``, a ``needs`` attribute (``None``,
``"embeddings"`` or ``"token_scores"``: what a pass over the pool with the
round's model must give it) and a ``select`` method, decorated with
``@register``. Every module in this package is imported on first use, so
adding a strategy is adding one module. Modules here must not import torch at
import time: the workflow reads ``needs`` while it plans, in a dry run too.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

import numpy as np

_REGISTRY: dict[str, type] = {}


@dataclass(frozen=True)
class Query:
    """What a strategy sees: pool indices, the budget, a seed, and what it needs.

    ``embeddings`` has one row per pool record; ``token_scores`` maps each name
    in ``selfalign.diverse_evol.embedding.TOKEN_SCORES`` to one value per pool record;
    ``options`` are the run's ``strategy_options``.
    """

    labeled: np.ndarray
    unlabeled: np.ndarray
    n_query: int
    seed: int
    embeddings: np.ndarray | None = None
    token_scores: dict[str, np.ndarray] | None = None
    options: dict = field(default_factory=dict)


NEEDS = (None, "embeddings", "token_scores")


def register(cls: type) -> type:
    if cls.needs not in NEEDS:
        raise ValueError(f"strategy {cls.name!r}: needs must be one of {NEEDS}")
    if cls.name in _REGISTRY:
        raise ValueError(f"two selection strategies are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def available() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get_strategy(name: str):
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(f"unknown selection strategy {name!r}; choose one of {available()}")
    return _REGISTRY[name]()


class ByTokenScore:
    """Base of the uncertainty strategies: the unlabeled records with the
    smallest (or, with ``largest``, the largest) value of one token score.
    Ties go to the lowest pool index."""

    needs = "token_scores"
    score: str
    largest: bool

    def select(self, query: Query) -> list[int]:
        values = query.token_scores[self.score][query.unlabeled]
        order = np.lexsort((query.unlabeled, -values if self.largest else values))
        return query.unlabeled[order[: query.n_query]].tolist()

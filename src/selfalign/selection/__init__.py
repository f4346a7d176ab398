"""Selection strategies behind a registry.

A strategy is a class with a ``name``, a ``needs_embeddings`` flag and a
``select`` method, decorated with ``@register``. Every module in this package
is imported on first use, so adding a strategy is adding one module.
Modules here must not import torch at import time: the workflow reads
``needs_embeddings`` while it plans, in a dry run too.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import numpy as np

_REGISTRY: dict[str, type] = {}


@dataclass(frozen=True)
class Query:
    """What a strategy sees: pool indices, the budget, a seed, maybe embeddings."""

    labeled: np.ndarray
    unlabeled: np.ndarray
    n_query: int
    seed: int
    embeddings: np.ndarray | None = None


def register(cls: type) -> type:
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

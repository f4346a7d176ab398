"""A round's labeled set on disk: pool rows in the order they were chosen.

``rd_{round}_labeled.tsv`` has one line per labeled record: ``row`` (its position
in the prepared pool), ``id`` and ``round`` (the round that added it). Later
rounds, training and reports read it; the release's JSON views
(``rd_{round}_labeled.json``, ``rd_{round}_unlabeled.json``) are made from it and the
pool. A few kB a round, whatever the pool's size.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np

from selfalign.io import atomic_output

COLUMNS = ["row", "id", "round"]


@dataclass(frozen=True)
class Labeled:
    rows: np.ndarray  # int64 pool rows
    ids: list[str]
    rounds: np.ndarray  # int64: the round that added each row

    def extend(self, rows: np.ndarray, ids: list[str], round: int) -> Labeled:
        added = np.full(len(rows), round, dtype=np.int64)
        return Labeled(
            np.concatenate([self.rows, rows]), self.ids + ids, np.concatenate([self.rounds, added])
        )


def write_labeled(labeled: Labeled, path: str | os.PathLike) -> None:
    with atomic_output(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(
            zip(labeled.rows.tolist(), labeled.ids, labeled.rounds.tolist(), strict=True)
        )


def read_labeled(path: str | os.PathLike, pool_ids=None) -> Labeled:
    """Read a round's labeled set; with ``pool_ids`` (the pool's id column),
    check that each row still holds the id it was chosen as."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t")
        if next(reader, None) != COLUMNS:
            raise ValueError(f"{path}: not a labeled-set file (header {COLUMNS})")
        rows, ids, rounds = [], [], []
        for row, record_id, round in reader:
            rows.append(int(row))
            ids.append(record_id)
            rounds.append(int(round))
    labeled = Labeled(np.array(rows, dtype=np.int64), ids, np.array(rounds, dtype=np.int64))
    if pool_ids is not None and pool_ids.take(labeled.rows).to_pylist() != labeled.ids:
        raise ValueError(
            f"{path}: its rows no longer hold the ids it chose; the pool changed since. "
            f"Rerun the run from round 0: snakemake --forcerun init_round"
        )
    return labeled

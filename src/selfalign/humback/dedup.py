"""Duplicate web text: exact copies by a hash of the normalised text, near copies
by datatrove's MinHash LSH over word shingles (the four stages FineWeb runs).

Normalising (lower case, no punctuation, one space between words, no accents)
lets a changed comma or a reflowed paragraph count for nothing; numbers are
kept, so two tables that differ only in their figures stay apart. Every near
copy joins its cluster through any chain of LSH matches, and each cluster keeps
one text: the first exact copy and one member of every near-copy cluster.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import TextNormConfig, simplify_text
from datatrove.utils.word_tokenizers import WordTokenizer

from selfalign.io import write_jsonl

# datatrove's defaults, but numbers are kept (see the module docstring)
NORMALISATION = TextNormConfig(norm_numbers=False)


@dataclass(frozen=True)
class MinHashSettings:
    """MinHash LSH: ``bands`` x ``rows_per_band`` hashes of ``shingle_words``-word shingles.

    A pair of texts whose shingle sets have Jaccard similarity s shares a band
    with probability 1 - (1 - s**rows_per_band)**bands; the S-curve's midpoint is
    about (1/bands)**(1/rows_per_band): 0.72 for FineWeb's 14 x 8.
    """

    shingle_words: int = 5
    bands: int = 14
    rows_per_band: int = 8
    seed: int = 1

    @property
    def threshold(self) -> float:
        return (1 / self.bands) ** (1 / self.rows_per_band)

    def match_probability(self, jaccard: float) -> float:
        return 1 - (1 - jaccard**self.rows_per_band) ** self.bands


def first_exact_copies(texts: list[str]) -> list[int]:
    """Indices of the first text of each group whose normalised texts are equal."""
    seen: set[bytes] = set()
    kept = []
    for i, text in enumerate(texts):
        digest = hashlib.blake2b(
            simplify_text(text, NORMALISATION).encode(), digest_size=16
        ).digest()
        if digest not in seen:
            seen.add(digest)
            kept.append(i)
    return kept


def near_copy_survivors(
    texts: list[str], settings: MinHashSettings, workdir: str | Path, workers: int = 1
) -> list[int]:
    """Indices of the texts left when each near-copy cluster keeps one member.

    Runs datatrove's signature, bucket, cluster and filter stages in
    ``workdir`` (signatures take about 1 KB a text there) with ``workers``
    processes.
    """
    work = Path(workdir)
    tasks = max(1, min(workers, len(texts)))
    for rank in range(tasks):
        part = range(rank * len(texts) // tasks, (rank + 1) * len(texts) // tasks)
        write_jsonl(
            [{"id": str(i), "text": texts[i]} for i in part], work / f"texts/{rank:05d}.jsonl"
        )
    config = MinhashConfig(
        n_grams=settings.shingle_words,
        num_buckets=settings.bands,
        hashes_per_bucket=settings.rows_per_band,
        seed=settings.seed,
        norm_config=NORMALISATION,
        hash_config=HashConfig(precision=64, hash_fc="sha1"),
    )

    def run(name, pipeline, stage_tasks):
        logging.info("near duplicates: %s", name)
        LocalPipelineExecutor(
            pipeline,
            tasks=stage_tasks,
            workers=min(workers, stage_tasks),
            logging_dir=str(work / "logs" / name),
            skip_completed=False,
            start_method="fork",  # a spawned worker would import the job's script again
        ).run()

    def reader():
        return JsonlReader(str(work / "texts"), glob_pattern="*.jsonl", compression=None)

    run(
        "signatures",
        [reader(), MinhashDedupSignature(str(work / "signatures"), config, WhitespaceWords())],
        tasks,
    )
    run(
        "buckets",
        [MinhashDedupBuckets(str(work / "signatures"), str(work / "buckets"), config=config)],
        settings.bands,
    )
    run(
        "clusters",
        [MinhashDedupCluster(str(work / "buckets"), str(work / "clusters"), config=config)],
        1,
    )
    run(
        "filter",
        [reader(), MinhashDedupFilter(str(work / "clusters")), KeptIds(work / "kept")],
        tasks,
    )
    return sorted(
        int(line) for path in (work / "kept").glob("*.txt") for line in path.read_text().split()
    )


class WhitespaceWords(WordTokenizer):
    """Words of normalised text (no punctuation left): split on spaces, no model to load."""

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        raise NotImplementedError("near-duplicate search only splits words")


class KeptIds:
    """Last pipeline step: writes the ids of the documents that reach it, one file a rank."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __call__(self, data, rank: int = 0, world_size: int = 1):
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f"{rank:05d}.txt").open("w") as out:
            for document in data:
                out.write(f"{document.id}\n")
        return iter(())

"""Large Alpaca-style pools for the scale benchmarks, made from the 5,000
records of ``../shared/data/alpaca_5000.json``.

Each copy of a record gets its own text (a numbered variant of the
instruction and a few words drawn from the whole set), so no two records are
equal and lengths vary as in the source.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ALPACA = Path(__file__).resolve().parents[2] / "shared" / "data" / "alpaca_5000.json"


def alpaca_like(n: int, seed: int = 0) -> list[dict]:
    """``n`` distinct records in Alpaca's shape (instruction, input, output)."""
    if not ALPACA.is_file():
        raise SystemExit(f"{ALPACA} is missing: these benchmarks build their pools from it")
    source = json.loads(ALPACA.read_text())
    words = " ".join(r["output"] for r in source[:500]).split()
    rng = random.Random(seed)
    records = []
    for i in range(n):
        base = source[i % len(source)]
        extra = " ".join(rng.choices(words, k=rng.randint(0, 12)))
        records.append(
            {
                "instruction": f"{base['instruction']} (variant {i // len(source)})",
                "input": base["input"],
                "output": f"{base['output']} {extra}".strip(),
            }
        )
    return records


def web_text_like(n: int, seed: int = 0) -> list[dict]:
    """``n`` web-text documents of 600 to 3,000 characters (Humback's unlabelled
    text, as ``content`` fields), each a run of the Alpaca records' texts."""
    if not ALPACA.is_file():
        raise SystemExit(f"{ALPACA} is missing: these benchmarks build their pools from it")
    source = json.loads(ALPACA.read_text())
    texts = [t for r in source for t in (r["instruction"], r["output"]) if t]
    rng = random.Random(seed)
    documents = []
    for i in range(n):
        target, parts, size = rng.randint(600, 3000), [f"Document {i}."], 0
        while size < target:
            parts.append(rng.choice(texts))
            size += len(parts[-1]) + 1
        documents.append({"content": " ".join(parts)[:target]})
    return documents


def write_alpaca_array(records: list[dict], path: Path) -> Path:
    """One JSON array, indented as the released ``alpaca_data.json`` is."""
    path.write_text(json.dumps(records, indent=4, ensure_ascii=False))
    return path


def write_json_lines(records: list[dict], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path

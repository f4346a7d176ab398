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
    """``n`` web-text documents of 600 to 3,000 characters (Humback's unlabeled
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


def _sentences() -> list[str]:
    """Sentences of the Alpaca records' outputs and of AlpacaEval's answers."""
    if not ALPACA.is_file():
        raise SystemExit(f"{ALPACA} is missing: these benchmarks build their pools from it")
    answers = [r["output"] for r in json.loads(ALPACA.read_text())]
    for path in sorted((ALPACA.parent / "alpaca_eval").glob("*_model_outputs.json")):
        answers += [r["output"] for r in json.loads(path.read_text())]
    sentences = (s.strip() for a in answers for s in a.replace("\n", " ").split(". "))
    return [f"{s}." for s in sentences if len(s.split()) >= 4 and len(s) <= 300]


def web_pages_with_copies(n: int, seed: int = 0) -> tuple[list[str], list[int], list[str]]:
    """``n`` web-like pages of 700 to 3,000 characters; for each, the index of the
    original it copies (its own for an original) and its kind.

    Pages are runs of random sentences of at most 300 characters, so two
    originals share almost no 5-word shingle; 2% are planted as ``exact``
    copies of an earlier page once normalised (upper case, spacing, commas
    changed) and 4% as ``near`` copies (three words changed, a navigation line
    added, or the last sentence dropped).
    """
    sentences = _sentences()
    rng = random.Random(seed)
    pages: list[str] = []
    originals: list[int] = []
    kinds: list[str] = []
    for i in range(n):
        roll = rng.random()
        source = rng.randrange(i) if i else 0
        if i and roll < 0.02:
            page, kind = pages[source].upper().replace(". ", " .  ").replace(",", ""), "exact"
        elif i and roll < 0.06:
            page, kind = _near_copy(rng, pages[source]), "near"
        else:
            target, parts, size = rng.randint(900, 2900), [], 0
            while size < target:
                parts.append(rng.choice(sentences))
                size += len(parts[-1]) + 1
            page, kind = " ".join(parts)[:3000], "original"
        pages.append(page)
        originals.append(i if kind == "original" else originals[source])
        kinds.append(kind)
    return pages, originals, kinds


def _near_copy(rng: random.Random, page: str) -> str:
    edit = rng.randrange(3)
    if edit == 0:
        words = page.split(" ")
        for i in rng.sample(range(len(words)), 3):
            words[i] = rng.choice(["also", "very", "new", "often"])
        return " ".join(words)
    if edit == 1:
        return "Home | Blog | About | Contact\n" + page
    return page[: page.rstrip(". ").rfind(". ") + 1] or page

"""A deterministic instruction dataset for the offline demo.

Records fall into task families of very different sizes (arithmetic is common,
unit conversion rare), so a diverse selection is visible in the
``category`` field: random sampling mirrors the skew, a diversity-seeking
strategy reaches the rare families sooner.

Every question has a terse answer ("Cairo", "3000"). The demo's base model
learns those in a stand-in for pre-training (``generate_pretraining_records``);
the pool and the test sets answer in each family's own format
(``ANSWER_FORMATS``: "Cairo is the capital.", "3000 metres."), which only
fine-tuning on records of that family teaches. So a family scores once a
selection holds enough of it.
"""

from __future__ import annotations

import random

WORDS = (  # noqa: SIM905 - a word list reads better as text
    "apple river stone cloud garden window silver forest candle market "
    "bridge yellow ocean pencil winter thunder basket mirror planet rocket "
    "coffee violin harbor meadow lantern castle desert feather island jungle"
).split()
CAPITALS = {
    "France": "Paris",
    "Japan": "Tokyo",
    "Kenya": "Nairobi",
    "Peru": "Lima",
    "Canada": "Ottawa",
    "Egypt": "Cairo",
    "Norway": "Oslo",
    "India": "New Delhi",
    "Chile": "Santiago",
    "Spain": "Madrid",
    "Ghana": "Accra",
    "Italy": "Rome",
    "Poland": "Warsaw",
    "Cuba": "Havana",
    "Nepal": "Kathmandu",
    "Greece": "Athens",
    "Mexico": "Mexico City",
    "Turkey": "Ankara",
    "Vietnam": "Hanoi",
    "Brazil": "Brasilia",
}
ANTONYMS = {
    "hot": "cold",
    "tall": "short",
    "early": "late",
    "happy": "sad",
    "fast": "slow",
    "heavy": "light",
    "open": "closed",
    "rich": "poor",
    "loud": "quiet",
    "wide": "narrow",
    "strong": "weak",
    "young": "old",
    "bright": "dark",
    "full": "empty",
    "hard": "soft",
    "wet": "dry",
    "clean": "dirty",
    "near": "far",
    "thick": "thin",
    "high": "low",
}
GROUPS = {
    "fruits": ["apple", "banana", "cherry", "mango", "pear", "plum", "kiwi"],
    "colours": ["red", "green", "blue", "orange", "purple", "white", "black"],
    "animals": ["horse", "tiger", "eagle", "dolphin", "rabbit", "otter", "camel"],
    "instruments": ["piano", "violin", "flute", "drum", "cello", "harp", "guitar"],
}


def _sentence(rng: random.Random, low: int = 3, high: int = 8) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def _arithmetic(rng):
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    op, value = rng.choice([("plus", a + b), ("minus", a - b), ("times", a * b)])
    return f"What is {a} {op} {b}?", "", str(value)


def _upper_case(rng):
    text = _sentence(rng, 1, 3)  # a tiny model copies a few words, not eight
    return "Rewrite the text in upper case.", text, text.upper()


def _reverse_word(rng):
    word = rng.choice(WORDS) + rng.choice(["", "s", "y", "er", "ed"])
    return f"Spell the word '{word}' backwards.", "", word[::-1]


def _sort_numbers(rng):
    numbers = [rng.randint(0, 99) for _ in range(rng.randint(3, 7))]
    return (
        "Sort these numbers from smallest to largest.",
        ", ".join(map(str, numbers)),
        ", ".join(map(str, sorted(numbers))),
    )


def _capital(rng):
    country = rng.choice(sorted(CAPITALS))
    ask = rng.choice(
        [
            "What is the capital of {}?",
            "Name the capital city of {}.",
            "Which city is the capital of {}?",
            "Tell me the capital of {}.",
            "What city is the capital of {}?",
        ]
    )
    return ask.format(country), "", CAPITALS[country]


def _antonym(rng):
    word = rng.choice(sorted(ANTONYMS))
    ask = rng.choice(
        [
            "Give the opposite of the word '{}'.",
            "What is an antonym of '{}'?",
            "What is the opposite of '{}'?",
            "Name a word that means the opposite of '{}'.",
        ]
    )
    return ask.format(word), "", ANTONYMS[word]


def _count_words(rng):
    text = _sentence(rng, 2, 12)
    return "How many words are in this sentence?", text, str(len(text.split()))


def _unit_conversion(rng):
    km = rng.randint(1, 500)
    return f"Convert {km} kilometres to metres.", "", str(km * 1000)


def _list_items(rng):
    group = rng.choice(sorted(GROUPS))
    n = rng.randint(2, 5)
    ask = rng.choice(["List {} {}.", "Name {} {}.", "Give me {} {}."]).format(n, group)
    return ask, "", "\n".join(f"{i}. {x}" for i, x in enumerate(GROUPS[group][:n], 1))


FAMILIES = {  # name: (weight, generator)
    "arithmetic": (0.30, _arithmetic),
    "upper_case": (0.20, _upper_case),
    "reverse_word": (0.14, _reverse_word),
    "sort_numbers": (0.10, _sort_numbers),
    "capital": (0.08, _capital),
    "antonym": (0.07, _antonym),
    "count_words": (0.05, _count_words),
    "list_items": (0.03, _list_items),
    "unit_conversion": (0.03, _unit_conversion),
}


# How the pool and the test sets phrase a family's terse answer; a family not
# named here answers tersely. Each format adds words after the answer: the
# answer stays where the base model has learnt to give it, and no two formats
# begin alike, so one family's records cannot teach another's format.
ANSWER_FORMATS = {
    "capital": "{} is the capital.",
    "antonym": "{}, the opposite.",
    "count_words": "{} words.",
    "list_items": "{}\nThat is all.",
    "unit_conversion": "{} metres.",
}


def _question(family: str, rng: random.Random, terse: bool = False):
    """(family, instruction, input, answer): the answer terse or in the family's format."""
    instruction, input_, answer = FAMILIES[family][1](rng)
    if not terse:
        answer = ANSWER_FORMATS.get(family, "{}").format(answer)
    return family, instruction, input_, answer


def generate_demo_records(n_records: int, seed: int) -> list[dict]:
    """``n_records`` distinct Alpaca records with ids and a ``category``."""
    rng = random.Random(seed)
    names = list(FAMILIES)
    weights = [FAMILIES[name][0] for name in names]

    def draw():
        return _question(rng.choices(names, weights)[0], rng)

    records = _distinct(draw, n_records, set())
    if len(records) < n_records:
        raise ValueError(f"could not generate {n_records} distinct demo records")
    return [{"id": f"demo-{i:05d}", **r} for i, r in enumerate(records)]


def _distinct(draw, n: int, taken: set) -> list[dict]:
    """Up to ``n`` records from ``draw()`` (family, instruction, input, output) whose
    instruction and input are neither in ``taken`` nor drawn before."""
    found, seen = [], set(taken)
    for _ in range(n * 200):
        if len(found) == n:
            break
        family, instruction, input_, output = draw()
        if (instruction, input_) not in seen:
            seen.add((instruction, input_))
            found.append(
                {"instruction": instruction, "input": input_, "output": output, "category": family}
            )
    return found


def generate_demo_test_set(
    n_records: int | None, seed: int, exclude: list[dict], per_family: int | None = None
) -> list[dict]:
    """Held-out demo questions (none in ``exclude``) with reference answers and their
    ``category``: ``n_records`` drawn as the pool is, or ``per_family`` of every family."""
    taken = {(r["instruction"], r["input"]) for r in exclude}
    if per_family:
        fresh = [q for family in FAMILIES for q in _held_out(family, per_family, seed, taken)]
    else:
        candidates = generate_demo_records(n_records + len(taken), seed)
        fresh = [r for r in candidates if (r["instruction"], r["input"]) not in taken][:n_records]
        if len(fresh) < n_records:
            raise ValueError(f"only {len(fresh)} demo questions are not in the pool")
    return [
        {
            "id": f"test-{i:04d}",
            "instruction": r["instruction"],
            "input": r["input"],
            "reference": r["output"],
            "category": r["category"],
        }
        for i, r in enumerate(fresh)
    ]


def _held_out(family: str, n: int, seed: int, taken: set) -> list[dict]:
    """``n`` distinct questions of one family that are not in ``taken``."""
    rng = random.Random(f"{seed}-{family}")
    found = _distinct(lambda: _question(family, rng), n, taken)
    if len(found) < n:
        raise ValueError(
            f"only {len(found)} {family} questions are not in the pool; ask for fewer per family"
        )
    return found


def generate_pretraining_records(n_records: int, seed: int, exclude: list[dict]) -> list[dict]:
    """A stand-in for pre-training text: ``n_records`` questions of every family in
    equal shares, with terse answers, none in ``exclude`` (the held-out test
    questions); a question may come more than once, as facts recur in a corpus."""
    rng = random.Random(seed)
    taken = {(r["instruction"], r["input"]) for r in exclude}
    names, records = list(FAMILIES), []
    for i in range(n_records):
        family = rng.choice(names)  # first the family: held-out questions skew no share
        for _ in range(200):
            _, instruction, input_, answer = _question(family, rng, terse=True)
            if (instruction, input_) not in taken:
                break
        else:
            raise ValueError(f"every {family} question drawn is held out; hold out fewer")
        records.append(
            {
                "id": f"pretrain-{i:06d}",
                "instruction": instruction,
                "input": input_,
                "output": answer,
                "category": family,
            }
        )
    return records

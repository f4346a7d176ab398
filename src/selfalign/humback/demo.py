"""Seed pairs and web text for the offline Humback demo.

The web text mixes pages a curator should keep (self-contained explanations)
with pages it should reject (navigation menus, forum chatter, promotions),
and repeats some pages exactly or nearly, so every filter has work to do.
"""

from __future__ import annotations

import random

from selfalign.data.demo import ANTONYMS, CAPITALS, WORDS, generate_demo_records

MENU = [
    "Home",
    "About us",
    "Products",
    "Blog",
    "Careers",
    "Contact",
    "Login",
    "Sign up",
    "Cart (0)",
    "Help",
    "Privacy",
    "Terms",
    "Sitemap",
    "Newsletter",
]
FORUM = [
    "lol same here",
    "anyone tried this?",
    "+1",
    "bump",
    "my cousin said the same thing",
    "not sure tbh",
    "thanks mate, worked for me",
    "Reply",
    "Quote",
    "posted by user",
    "edited 2 times",
    "this thread is gold",
]
PROMO = [
    "Buy now and save 50%!",
    "Limited offer, today only.",
    "Subscribe to our newsletter.",
    "Free shipping on orders over $30.",
    "Click here to claim your prize.",
]


def generate_seed_pairs(n_records: int, seed: int) -> list[dict]:
    """Instruction-response pairs in the demo's task families."""
    pairs = []
    for r in generate_demo_records(n_records, seed):
        instruction = f"{r['instruction']}\n\n{r['input']}" if r["input"] else r["instruction"]
        pairs.append(
            {"id": f"seed-{len(pairs):05d}", "instruction": instruction, "response": r["output"]}
        )
    return pairs


def _article(rng: random.Random) -> str:
    kind = rng.choice(["capital", "antonym", "arithmetic"])
    if kind == "capital":
        country = rng.choice(sorted(CAPITALS))
        city = CAPITALS[country]
        return (
            f"The capital of {country} is {city}. {city} is the seat of the government of "
            f"{country} and its largest centre of administration. When you are asked for the "
            f"capital city of {country}, the answer is {city}. Many visitors to {country} "
            f"start their journey in {city}."
        )
    if kind == "antonym":
        word = rng.choice(sorted(ANTONYMS))
        other = ANTONYMS[word]
        return (
            f"The opposite of the word '{word}' is '{other}'. An antonym is a word with the "
            f"opposite meaning: '{word}' and '{other}' form such a pair. You can use "
            f"'{other}' whenever you need to say the reverse of '{word}'."
        )
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    return (
        f"To add {a} and {b}, start from {a} and count on {b} more: {a} plus {b} is {a + b}. "
        f"Addition is commutative, so {b} plus {a} is also {a + b}. Checking with "
        f"subtraction, {a + b} minus {b} gives back {a}."
    )


def _navigation(rng: random.Random) -> str:
    return " | ".join(rng.sample(MENU, len(MENU))) + " | " + " | ".join(rng.sample(MENU, 8))


def _forum(rng: random.Random) -> str:
    return " ".join(f"{rng.choice(FORUM)} {rng.choice(WORDS)}" for _ in range(16))


def _promo(rng: random.Random) -> str:
    return " ".join(rng.choice(PROMO) for _ in range(8))


def generate_web_text(n_documents: int, seed: int) -> list[dict]:
    """``{"content"}`` records as in falcon-refinedweb, with junk and duplicates."""
    rng = random.Random(seed)
    makers = [(_article, 0.55), (_navigation, 0.15), (_forum, 0.15), (_promo, 0.15)]
    documents: list[str] = []
    while len(documents) < n_documents:
        roll = rng.random()
        if documents and roll < 0.05:
            documents.append(rng.choice(documents))  # an exact copy
        elif documents and roll < 0.10:
            documents.append(rng.choice(documents).replace(".", "!", 1))  # a near copy
        else:
            make = rng.choices([m for m, _ in makers], [w for _, w in makers])[0]
            documents.append(make(rng))
    return [{"content": text} for text in documents]

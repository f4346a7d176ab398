"""Instruction backtranslation (Humback; Li et al., 2023, arXiv 2308.06259).

Stages: seed pairs, unlabeled web text, a backward model p(instruction |
text), self-augmentation, a seed model M0, self-curation with a 1-5 score,
curated sets A_t and models M_t trained on seed + A_t, iterated.

Training records use the Alpaca prompt and SFT code of the rest of the
project; a record's ``system`` field carries the paper's data-source tag.
"""

SEED_TAG = "Answer in the style of an AI Assistant."
AUGMENTED_TAG = "Answer with knowledge from web search."
BACKWARD_INSTRUCTION = "Write the instruction that the following text is the answer to."


def backward_record(instruction: str, response: str) -> dict:
    """A (response -> instruction) training record: the loss falls on the instruction."""
    return {"instruction": BACKWARD_INSTRUCTION, "input": response, "output": instruction}


def forward_record(instruction: str, response: str, *, augmented: bool) -> dict:
    """A training record with its tag: web-search for augmented pairs, AI Assistant for seed."""
    tag = AUGMENTED_TAG if augmented else SEED_TAG
    return {"instruction": instruction, "input": "", "output": response, "system": tag}

"""Instruction backtranslation (Humback; Li et al., 2023, arXiv 2308.06259).

Stages: seed pairs, unlabeled web text, a backward model p(instruction |
text), self-augmentation, a seed model M0, self-curation with a 1-5 score,
curated sets A_t and models M_t trained on seed + A_t, iterated.

Training records use the prompt formats and SFT code of the rest of the
project; a record's ``system`` field carries its data source's system prompt
(``SYSTEM_PROMPTS``).
"""

SEED_TAG = "Answer in the style of an AI Assistant."
AUGMENTED_TAG = "Answer with knowledge from web search."
BACKWARD_INSTRUCTION = "Write the instruction that the following text is the answer to."

# The unofficial release's system messages (src/utils/template.py, as fixed after
# its issue 9; its README's DiffSysPrompt rows were trained with the two swapped).
RELEASE_SEED_SYSTEM = (
    "This is a chat between a curious user and a helpful artificial intelligence assistant. "
    "Given the assistant's reponse, please predict the user's instruction in the style of an "
    "AI Assistant."
)
RELEASE_AUGMENTED_SYSTEM = (
    "This is a chat between a curious user and a helpful artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions with "
    "knowledge from web search."
)
RELEASE_BACKWARD_SYSTEM = (
    "This is a chat between a curious user and a helpful artificial intelligence assistant. "
    "Given the assistant's reponse, please predict the user's instruction."
)
RELEASE_BACKWARD_ROLES = ("RESPONSE", "INSTRUCTION")

# humback.system_prompt: the system text of seed pairs, of augmented pairs, and of
# every prompt at inference (curation, answers). tags: the paper's; release: the
# unofficial release's two ("DiffSysPrompt"), with vicuna's own at inference;
# none: no system text (vicuna_v1.1 then uses its own everywhere).
SYSTEM_PROMPTS = {
    "tags": {"seed": SEED_TAG, "augmented": AUGMENTED_TAG, "inference": SEED_TAG},
    "release": {
        "seed": RELEASE_SEED_SYSTEM,
        "augmented": RELEASE_AUGMENTED_SYSTEM,
        "inference": "",
    },
    "none": {"seed": "", "augmented": "", "inference": ""},
}


def backward_record(instruction: str, response: str, prompt_format: str = "alpaca") -> dict:
    """A (response -> instruction) training record: the loss falls on the instruction.
    In vicuna_v1.1, the release's reverse conversation (``RESPONSE: ... INSTRUCTION:``)."""
    if prompt_format == "vicuna_v1.1":
        return {
            "instruction": response,
            "input": "",
            "output": instruction,
            "system": RELEASE_BACKWARD_SYSTEM,
            "roles": list(RELEASE_BACKWARD_ROLES),
        }
    return {"instruction": BACKWARD_INSTRUCTION, "input": response, "output": instruction}


def backward_prompt(text: str, prompt_format: str = "alpaca") -> dict:
    """What the backward model is asked with to write an instruction for ``text``."""
    record = backward_record("", text, prompt_format)
    del record["output"]
    return record


def forward_record(
    instruction: str, response: str, *, augmented: bool, system_prompt: str = "tags"
) -> dict:
    """A training record with its data source's system text (``SYSTEM_PROMPTS``)."""
    system = SYSTEM_PROMPTS[system_prompt]["augmented" if augmented else "seed"]
    record = {"instruction": instruction, "input": "", "output": response}
    return record | {"system": system} if system else record

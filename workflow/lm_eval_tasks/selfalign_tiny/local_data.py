"""Load a task's JSON Lines data from this folder, whatever the working directory.

lm-eval hands ``dataset_kwargs.data_files`` to ``datasets.load_dataset`` as
they are, so a relative path would be read from wherever the workflow runs.
A task names this loader as its ``custom_dataset`` instead; ``!function``
resolves it next to the YAML, and it resolves the files next to itself.
"""

import json
from pathlib import Path


def load(data_files: dict[str, str], **_metadata):
    """A ``DatasetDict`` with one split per entry of ``data_files``."""
    from datasets import Dataset, DatasetDict

    splits = {}
    for split, name in data_files.items():
        with open(Path(__file__).parent / name, encoding="utf-8") as f:
            splits[split] = Dataset.from_list([json.loads(line) for line in f if line.strip()])
    return DatasetDict(splits)

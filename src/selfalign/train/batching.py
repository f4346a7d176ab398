"""The batch a fine-tune trains with, the same on any number of GPUs.

``global_batch_size`` (this workflow's key) is the batch in all:
``per_device_train_batch_size`` x processes x ``gradient_accumulation_steps``,
the last derived from the job's processes. Without it, TrainingArguments' own
keys apply and the batch grows with the GPU count, as in transformers.
Planning checks every training block against its rule's GPU count, so a batch
that cannot be kept is named in the dry run, not hours into a job.
"""

from __future__ import annotations

PER_DEVICE_DEFAULT = 8  # TrainingArguments' per_device_train_batch_size
STEP_KEYS = ("gradient_accumulation_steps", "global_batch_size")


def for_size(training: dict, small_data: dict | None, n_records: int) -> dict:
    """The training block for a set of ``n_records``: ``small_data``'s below its size.

    Small-data keys replace the block's; one that sets the batch
    (``global_batch_size`` or ``gradient_accumulation_steps``) replaces both, so
    a block's global batch never meets a small-data accumulation.
    """
    if not small_data or n_records >= small_data["below"]:
        return dict(training)
    small = small_data["training"]
    merged = dict(training)
    if set(STEP_KEYS) & set(small):
        for name in STEP_KEYS:
            merged.pop(name, None)
    return {**merged, **small}


def accumulation_steps(training: dict, world_size: int, key: str = "training") -> int | None:
    """``gradient_accumulation_steps`` that keep ``global_batch_size`` on ``world_size``
    processes; None without a global batch. ``key`` is the block's config key."""
    if "global_batch_size" not in training:
        return None
    if "gradient_accumulation_steps" in training:
        raise ValueError(
            f"config keys {key}.global_batch_size and {key}.gradient_accumulation_steps: "
            "give one of them"
        )
    total = training["global_batch_size"]
    per_device = training.get("per_device_train_batch_size", PER_DEVICE_DEFAULT)
    if total % world_size:
        raise ValueError(
            f"{key}.global_batch_size={total} cannot be split over {world_size} processes "
            f"(one a GPU); make it a multiple of {world_size}, or give the job other GPUs"
        )
    share = total // world_size
    if share % per_device:
        raise ValueError(
            f"{key}.per_device_train_batch_size={per_device} does not divide the {share} "
            f"examples each of {world_size} processes takes a step for "
            f"global_batch_size={total}; set it to a divisor of {share}"
        )
    return share // per_device

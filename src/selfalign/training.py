"""Fine-tune a base causal LM on instruction records with the HF Trainer."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from pathlib import Path

from selfalign.batching import accumulation_steps
from selfalign.files import main_process_output
from selfalign.modeling import load_causal_lm, load_tokenizer
from selfalign.sft import IGNORE_INDEX, encode_examples, pad_batch

log = logging.getLogger(__name__)
RESERVED = ("output_dir",)


def training_arguments(overrides: dict, output_dir: Path, seed: int):
    """``TrainingArguments`` from the config's ``training`` block.

    Keys pass straight through; an unknown one is reported by its config key.
    ``global_batch_size`` is ours: it sets ``gradient_accumulation_steps`` from
    the number of processes (WORLD_SIZE), so the effective batch stays the same
    on 1 or 8 GPUs (``selfalign.batching``). ``deepspeed`` (a ZeRO config
    under config/deepspeed/) and ``fsdp`` are TrainingArguments' own.
    Reporting to wandb or TensorBoard is opt-in (``report_to``); their keys
    come from the environment (``WANDB_API_KEY``), never from the config.
    """
    import torch
    from transformers import TrainingArguments

    overrides = dict(overrides)
    steps = accumulation_steps(overrides, int(os.environ.get("WORLD_SIZE", "1")))
    if steps is not None:
        del overrides["global_batch_size"]
        overrides["gradient_accumulation_steps"] = steps
    known = {f.name for f in dataclasses.fields(TrainingArguments)}
    for key in overrides:
        if key in RESERVED or key not in known:
            raise ValueError(
                f"config key training.{key}: not a transformers.TrainingArguments "
                f"field this workflow passes through; remove it or fix its spelling"
            )
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available():
        overrides.setdefault("ddp_backend", "gloo")  # CPU processes under torchrun
    values = {
        "save_strategy": "no",
        "report_to": "none",
        "logging_steps": 1,
        "seed": seed,
        "dataloader_pin_memory": torch.cuda.is_available(),
    }
    values.update(overrides)
    return TrainingArguments(output_dir=str(output_dir), **values)


def finetune(
    base_model: str,
    records: list[dict],
    out_dir: str | Path,
    *,
    training: dict,
    max_length: int,
    seed: int,
    dtype: str = "float32",
    model_config: dict | None = None,
) -> None:
    """Train ``base_model`` on ``records`` and save model + tokenizer in ``out_dir``.

    ``model_config`` overrides attributes of the model's config, such as the
    paper's dropout for Humback (``attention_dropout: 0.1`` on LLaMA). Under
    torchrun every rank trains; only rank 0 writes ``out_dir``.
    """
    from transformers import Trainer, set_seed

    set_seed(seed)
    tokenizer = load_tokenizer(base_model)
    model = load_causal_lm(base_model, dtype, **(model_config or {}))
    examples = encode_examples(tokenizer, records, max_length)
    usable = [e for e in examples if any(t != IGNORE_INDEX for t in e["labels"])]
    if len(usable) < len(examples):
        log.warning(
            "%d records have no response token within max_length=%d; skipped",
            len(examples) - len(usable),
            max_length,
        )
    if not usable:
        raise ValueError("no record has a response token within max_length; raise max_length")
    with main_process_output(out_dir) as tmp:
        args = training_arguments(training, tmp, seed)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=usable,
            data_collator=functools.partial(pad_batch, pad_token_id=tokenizer.pad_token_id),
        )
        result = trainer.train()
        log.info("training done after %d steps: %s", trainer.state.global_step, result.metrics)
        trainer.save_model(str(tmp))  # every rank: ZeRO-3 gathers the weights
        if trainer.is_world_process_zero():
            tokenizer.save_pretrained(str(tmp))

"""Fine-tune a base causal LM on instruction records with TRL's SFTTrainer:
the whole model, or LoRA adapters merged back into a model folder."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from selfalign.io import main_process_output
from selfalign.models.encoding import iter_examples
from selfalign.models.loading import load_causal_lm, load_tokenizer
from selfalign.train import checkpoints as checkpointing
from selfalign.train.batching import accumulation_steps

log = logging.getLogger(__name__)
# set by the workflow: the run's max_length, loss on the completion only
RESERVED = ("output_dir", "max_length", "completion_only_loss", "dataset_text_field")
# TrainingArguments' defaults, which SFTConfig changes: a config means the same on either
TRAINING_ARGUMENTS_DEFAULTS = {"learning_rate": 5e-5, "bf16": False}
CHECKPOINTING = ("activation_checkpointing", "gradient_checkpointing")  # new name, old name


def sft_config(overrides: dict, output_dir: Path, seed: int, max_length: int):
    """``trl.SFTConfig`` from the config's ``training`` block (less ``peft``).

    Keys pass straight through (TrainingArguments' and SFTConfig's own, e.g.
    ``packing``); an unknown one is reported by its config key.
    ``global_batch_size`` is ours: it sets ``gradient_accumulation_steps`` from
    the number of processes (WORLD_SIZE), so the effective batch stays the same
    on 1 or 8 GPUs (``selfalign.train.batching``). ``deepspeed`` (a ZeRO config
    under config/deepspeed/) and ``fsdp`` are TrainingArguments' own.
    Reporting to wandb or TensorBoard is opt-in (``report_to``); their keys
    come from the environment (``WANDB_API_KEY``), never from the config.
    """
    import torch
    from trl import SFTConfig

    overrides = dict(overrides)
    steps = accumulation_steps(overrides, int(os.environ.get("WORLD_SIZE", "1")))
    if steps is not None:
        del overrides["global_batch_size"]
        overrides["gradient_accumulation_steps"] = steps
    known = {f.name for f in dataclasses.fields(SFTConfig)}
    for key in overrides:
        if key in RESERVED or key not in known:
            raise ValueError(
                f"config key training.{key}: not a trl.SFTConfig field this workflow "
                f"passes through; remove it or fix its spelling"
            )
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available():
        overrides.setdefault("ddp_backend", "gloo")  # CPU processes under torchrun
    if not set(CHECKPOINTING) & set(overrides):
        overrides[CHECKPOINTING[0]] = False
    values = {
        **TRAINING_ARGUMENTS_DEFAULTS,
        "save_strategy": "no",
        "report_to": "none",
        "logging_steps": 1,
        "seed": seed,
        "dataloader_pin_memory": torch.cuda.is_available(),
        **overrides,
    }
    return SFTConfig(
        output_dir=str(output_dir), max_length=max_length, completion_only_loss=True, **values
    )


def lora_config(peft: dict):
    """``peft.LoraConfig`` from the ``training.peft`` block (``merge`` and
    ``load_in_4bit`` are ours: what to save, and QLoRA)."""
    from peft import LoraConfig

    settings = {k: v for k, v in peft.items() if k not in ("merge", "load_in_4bit")}
    return LoraConfig(task_type="CAUSAL_LM", **settings)


def training_examples(tokenizer, records, max_length: int, prompt_format: str) -> list[dict]:
    """The records as SFTTrainer's tokenised prompt-completion examples, less those
    whose completion starts beyond ``max_length`` (they carry no loss)."""
    examples = list(iter_examples(tokenizer, records, max_length, prompt_format))
    usable = [e for e in examples if 1 in e["completion_mask"]]
    if len(usable) < len(examples):
        log.warning(
            "%d records have no response token within max_length=%d; skipped",
            len(examples) - len(usable),
            max_length,
        )
    if not usable:
        raise ValueError("no record has a response token within max_length; raise max_length")
    return usable


def sft_trainer(model, tokenizer, examples: list[dict], args, peft: dict | None):
    """TRL's trainer on tokenised examples: it builds the labels from
    ``completion_mask``, batches (padded, or packed without padding) and trains."""
    from datasets import Dataset
    from trl import SFTTrainer

    columns = {name: [e[name] for e in examples] for name in ("input_ids", "completion_mask")}
    return SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_dict(columns),
        processing_class=tokenizer,
        peft_config=lora_config(peft) if peft else None,
    )


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
    prompt_format: str = "alpaca",
    checkpoints: str | Path | None = None,
) -> dict:
    """Train ``base_model`` on ``records`` and save model + tokenizer in ``out_dir``;
    return the trainer's metrics (``train_runtime``, ``train_loss``, ...).

    ``training.peft`` trains LoRA adapters instead of every weight; they are
    merged into the base model (``merge: true``, the default), so every later
    step loads a plain model folder, or saved alone. ``model_config`` overrides
    attributes of the model's config, such as the paper's dropout for Humback
    (``attention_dropout: 0.1`` on LLaMA). Under torchrun every rank trains;
    only rank 0 writes ``out_dir``.

    With ``checkpoints`` (a folder), a checkpoint is saved there every
    ``training.checkpoint_minutes`` (30; null for none), training resumes
    from the newest one of the same fine-tune, and the folder is removed once
    ``out_dir`` is complete (``selfalign.train.checkpoints``).
    """
    from transformers import set_seed

    set_seed(seed)
    training = dict(training)
    minutes = training.pop("checkpoint_minutes", checkpointing.DEFAULT_MINUTES)
    resume = None
    if checkpoints is not None:
        checkpoints = Path(checkpoints)
        trained = {k: v for k, v in training.items() if k not in checkpointing.OBSERVING}
        settings = [base_model, trained, max_length, seed, dtype, model_config, prompt_format]
        settings.append(int(os.environ.get("WORLD_SIZE", "1")))
        resume = checkpointing.resume_point(
            checkpoints, checkpointing.fingerprint({"settings": settings}, records)
        )
    saving = checkpoints is not None and minutes is not None
    peft = training.pop("peft", None)
    tokenizer = load_tokenizer(base_model)
    examples = training_examples(tokenizer, records, max_length, prompt_format)
    log.info(  # what the model learns from, as its tokenizer reads it back
        "%d examples in the %s format; the first:\n%s",
        len(examples),
        prompt_format,
        tokenizer.decode(examples[0]["input_ids"]),
    )
    quantized = bool(peft and peft.get("load_in_4bit"))
    model = load_causal_lm(base_model, dtype, load_in_4bit=quantized, **(model_config or {}))
    log.info("attention: %s", model.config._attn_implementation)
    with main_process_output(out_dir) as tmp:
        if saving:
            training = {"save_total_limit": 1, **training}
        args = sft_config(training, checkpoints or tmp, seed, max_length)
        trainer = sft_trainer(model, tokenizer, examples, args, peft)
        if saving and args.save_strategy == "no":  # TrainingArguments' own saving, if set
            trainer.add_callback(checkpointing.save_every(minutes))
        if resume:
            log.info("resuming from %s", resume)
        result = trainer.train(resume_from_checkpoint=resume)
        log.info("training done after %d steps: %s", trainer.state.global_step, result.metrics)
        if peft and peft.get("merge", True):
            adapter = Path(tmp) / "adapter"
            trainer.save_model(str(adapter))  # every rank: ZeRO-3 gathers the weights
            if trainer.is_world_process_zero():
                merge_adapter(base_model, adapter, tmp, dtype, model_config)
        else:
            trainer.save_model(str(tmp))
        if trainer.is_world_process_zero():
            tokenizer.save_pretrained(str(tmp))
    if checkpoints is not None:
        checkpointing.remove(checkpoints)
    return result.metrics


def merge_adapter(base_model: str, adapter: Path, out_dir, dtype: str, model_config) -> None:
    """The base model with the adapter folded into its weights, saved as a plain model.

    The base is loaded afresh in ``dtype`` (never 4-bit), so a QLoRA adapter
    merges into full-precision weights.
    """
    import shutil

    from peft import PeftModel

    base = load_causal_lm(base_model, dtype, **(model_config or {}))
    merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    merged.save_pretrained(str(out_dir))
    shutil.rmtree(adapter)

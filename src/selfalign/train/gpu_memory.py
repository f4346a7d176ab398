"""Per-GPU memory of a fine-tune's model states, by DeepSpeed's own arithmetic.

The formulas are those of DeepSpeed's estimators
(``estimate_zero2_model_states_mem_needs`` and
``estimate_zero3_model_states_mem_needs``), written out here so that a dry run
needs neither torch nor DeepSpeed; the tests compare them with DeepSpeed's.
For P parameters on N GPUs, with bf16/fp16 mixed precision (16-bit weights,
fp32 master weights, gradients and two Adam moments):

- ZeRO-2: 2P (16-bit weights) + 18P/N (16-bit and fp32 gradients, fp32 weights,
  Adam); with the optimizer offloaded to the CPU, 2P.
- ZeRO-3: 4L (the largest layer, gathered) + 18P/N; with the optimizer
  offloaded, 4L + 2P/N; with the weights offloaded too, 4L.
- No DeepSpeed (DDP with autocast): 16P, fp32 weights, gradients and Adam.

Activations come on top; gradient checkpointing keeps them to a few GB for a
7B model at 2,048 tokens and a per-GPU batch of 4.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GB = 10**9


@dataclass(frozen=True)
class ZeroSetup:
    """What a DeepSpeed config shards and offloads; stage 0 means no DeepSpeed."""

    stage: int = 0
    offload_optimizer: bool = False
    offload_params: bool = False

    @classmethod
    def from_deepspeed(cls, deepspeed: str | Path | dict | None) -> ZeroSetup:
        """From a training block's ``deepspeed`` entry: a JSON file, a dict or nothing."""
        if deepspeed is None:
            return cls()
        settings = (
            deepspeed if isinstance(deepspeed, dict) else json.loads(Path(deepspeed).read_text())
        )
        zero = settings.get("zero_optimization", {})

        def on_cpu(key):
            return zero.get(key, {}).get("device", "none") in ("cpu", "nvme")

        return cls(int(zero.get("stage", 0)), on_cpu("offload_optimizer"), on_cpu("offload_param"))

    def describe(self) -> str:
        if not self.stage:
            return "no DeepSpeed"
        offloaded = [n for n, on in (("optimizer", self.offload_optimizer),
                                     ("weights", self.offload_params)) if on]  # fmt: skip
        return f"ZeRO-{self.stage}" + (f", {' and '.join(offloaded)} on CPU" if offloaded else "")


def model_states_per_gpu(
    parameters: int, largest_layer: int, zero: ZeroSetup, gpus: int, nodes: int = 1
) -> int:
    """Bytes of weights, gradients and optimizer states on each GPU (see the module doc)."""
    total = gpus * nodes
    if zero.stage == 0:
        return 16 * parameters
    if zero.stage in (1, 2):
        if zero.offload_optimizer:
            return 2 * parameters
        return 2 * parameters + int(18 * parameters / total)
    gathered = 4 * largest_layer
    if zero.offload_optimizer and zero.offload_params:
        return gathered
    if zero.offload_optimizer:
        return gathered + int(2 * parameters / total)
    return gathered + int(18 * parameters / total)


def fit_warning(
    rule: str, model: str, size: dict, zero: ZeroSetup, gpus: int, nodes: int, gpu_memory_gb: float
) -> str | None:
    """A warning naming the rule and the numbers where model states outgrow a GPU."""
    need = model_states_per_gpu(size["parameters"], size["largest_layer_parameters"], zero,
                                gpus, nodes)  # fmt: skip
    if need <= gpu_memory_gb * GB:
        return None
    return (
        f"rule {rule}: {model} ({size['parameters'] / 1e9:.2f}B parameters) needs about "
        f"{need / GB:.1f} GB a GPU for weights, gradients and Adam states alone "
        f"({zero.describe()}, {gpus * nodes} GPUs), more than the {gpu_memory_gb:g} GB the "
        "profile gives its GPUs (gpu_memory_gb): give the rule more GPUs, or use ZeRO-3 "
        "or CPU offload in its DeepSpeed config"
    )

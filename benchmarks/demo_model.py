"""The demo model's shape, read from config/config.yaml, for benchmarks."""

from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"


def demo_model_settings(max_positions: int = 512) -> dict:
    """``build_tiny_model`` keywords of the demo's base model, with room for longer texts
    (its weights random: the demo's pre-training is a workflow step of its own)."""
    build = yaml.safe_load(CONFIG.read_text())["models"]["tiny-llama"]["build"]
    settings = {k: v for k, v in build.items() if k not in ("dataset", "pretrain")}
    settings["max_position_embeddings"] = max(max_positions, settings["max_position_embeddings"])
    return settings


def build_lively_demo_model(
    records: list[dict], folder: str, max_positions: int = 512, **shape
) -> None:
    """The demo model's shape (``shape`` overrides, e.g. ``head_dim``) with larger random
    weights, so its answers depend on the prompt (a freshly built tiny model answers
    much the same to everything)."""
    import torch

    from selfalign.models.loading import load_causal_lm
    from selfalign.train.tiny_model import build_tiny_model

    build_tiny_model(records, folder, **{**demo_model_settings(max_positions), **shape})
    model = load_causal_lm(folder)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3)
    model.save_pretrained(folder)

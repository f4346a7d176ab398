"""The demo model's shape, read from config/config.yaml, for benchmarks."""

from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"


def demo_model_settings(max_positions: int = 512) -> dict:
    """``build_tiny_model`` keywords of the demo's base model, with room for longer texts."""
    build = yaml.safe_load(CONFIG.read_text())["models"]["tiny-llama"]["build"]
    settings = {k: v for k, v in build.items() if k != "dataset"}
    settings["max_position_embeddings"] = max(max_positions, settings["max_position_embeddings"])
    return settings

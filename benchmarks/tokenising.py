"""Tokenising a 500,000-record pool for training and embedding, in both prompt formats.

python benchmarks/tokenising.py
"""

import tempfile
import time

from demo_model import demo_model_settings
from pool_data import alpaca_like

from selfalign.models.encoding import iter_examples
from selfalign.models.loading import load_tokenizer
from selfalign.train.tiny_model import build_tiny_model


def main() -> None:
    records = alpaca_like(500_000)
    with tempfile.TemporaryDirectory() as folder:
        build_tiny_model(records[:5000], folder, **demo_model_settings())
        tokenizer = load_tokenizer(folder)
        for prompt_format in ("alpaca", "chat_template"):
            start = time.perf_counter()
            examples = iter_examples(tokenizer, records, 512, prompt_format)
            tokens = sum(len(e["input_ids"]) for e in examples)
            print(f"{prompt_format}: {time.perf_counter() - start:.1f} s, {tokens:,} tokens")


if __name__ == "__main__":
    main()

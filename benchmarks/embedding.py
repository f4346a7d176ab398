"""Embedding a pool: batched body-only mean pooling against the original method.

The original embedded one record at a time through the whole causal LM (LM
head, logits and loss included) in float32 and averaged the last hidden
layer. This project runs the transformer body only, in length-sorted,
attention-masked batches. Both see the same tokens of the full training text.

    python benchmarks/embedding.py --records 2000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from demo_model import demo_model_settings
from pool_data import ALPACA

from selfalign.diverse_evol.embedding import embed_records
from selfalign.models.encoding import encode_example, length_sorted_batches
from selfalign.models.loading import load_body, load_causal_lm, load_tokenizer
from selfalign.train.tiny_model import build_tiny_model


def original(model, tokenizer, records, max_length):
    """One record at a time, the whole causal LM with labels, float32."""
    rows = []
    with torch.inference_mode():
        for record in records:
            ids = torch.tensor([encode_example(tokenizer, record, max_length)["input_ids"]])
            out = model(input_ids=ids, labels=ids, output_hidden_states=True)
            rows.append(out.hidden_states[-1][0].mean(0).float().numpy())
    return np.stack(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--data", type=Path, default=ALPACA)
    parser.add_argument("--save", type=Path, help="also save the float32 embeddings here (.npy)")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} is not there; pass --data with an Alpaca JSON file")
    records = json.loads(args.data.read_text())[: args.records]
    for i, r in enumerate(records):
        r.setdefault("id", str(i))
    with tempfile.TemporaryDirectory() as folder:
        build_tiny_model(records, folder, **demo_model_settings())
        tokenizer = load_tokenizer(folder)
        lengths = [len(encode_example(tokenizer, r, args.max_length)["input_ids"]) for r in records]
        tokens = sum(lengths)
        padded = sum(
            len(b) * max(lengths[i] for i in b)
            for b in length_sorted_batches(lengths, args.batch_size)
        )
        full = load_causal_lm(folder).eval()
        start = time.perf_counter()
        reference = original(full, tokenizer, records, args.max_length)
        base_seconds = time.perf_counter() - start
        print(
            f"# {len(records)} records, {tokens} tokens, {torch.get_num_threads()} threads; "
            f"padding {1 - tokens / padded:.1%} of batched tokens "
            f"(batch {args.batch_size}, length-sorted)"
        )
        print("| method | seconds | tokens/s | speed-up | min cosine to original |")
        print("| --- | --- | --- | --- | --- |")
        print(
            f"| original (one record, full LM, fp32) | {base_seconds:.1f} | "
            f"{tokens / base_seconds:,.0f} | 1.0x | 1 |"
        )
        for dtype in ("float32", "bfloat16"):
            body = load_body(folder, dtype).eval()
            start = time.perf_counter()
            ours = embed_records(
                body,
                tokenizer,
                records,
                max_length=args.max_length,
                batch_size=args.batch_size,
                progress=False,
            )
            seconds = time.perf_counter() - start
            if args.save and dtype == "float32":
                np.save(args.save, ours)
            cos = (ours * reference).sum(1) / (
                np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
            )
            print(
                f"| batched body, {dtype} | {seconds:.1f} | {tokens / seconds:,.0f} | "
                f"{base_seconds / seconds:.1f}x | {cos.min():.6f} |"
            )


if __name__ == "__main__":
    main()

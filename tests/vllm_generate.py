"""Answers from the vllm backend, run by tests in the vLLM environment (.venv-vllm).

    python vllm_generate.py MODEL RECORDS.json MAX_NEW_TOKENS ENGINE_ARGS.json OUT.json [FORMAT]

The engine starts its workers with spawn, so everything runs under the main guard.
"""

import json
import sys

from selfalign.generate import Sampling, get_backend


def main(model, records, max_new_tokens, engine_args, out, prompt_format="alpaca"):
    with open(records) as f:
        records = json.load(f)
    with open(engine_args) as f:
        engine_args = json.load(f)
    answers = get_backend("vllm")(
        model,
        records,
        Sampling(max_new_tokens=int(max_new_tokens)),
        batch_size=1,
        dtype="float32",
        engine_args=engine_args,
        prompt_format=prompt_format,
    )
    with open(out, "w") as f:
        json.dump({"python": sys.executable, "answers": answers}, f)


if __name__ == "__main__":
    main(*sys.argv[1:])

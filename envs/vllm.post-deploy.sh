#!/usr/bin/env bash
# Runs once, inside the new environment: install this project's library.
set -euo pipefail
pip install --no-deps --editable "$(dirname "$0")/.."

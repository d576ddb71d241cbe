#!/usr/bin/env bash
# The GPU day's call, on the device machine: every stage of bench/gpu_day.py, results under $OUT.
# Carry the call's data packs and pass its --only (python bench/gpu_day.py plan prints both). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python bench/gpu_day.py run --out "${OUT:?the device machine sets OUT}" "$@"

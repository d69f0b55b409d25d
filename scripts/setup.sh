#!/usr/bin/env bash
# Create .venv/ at the repository root and install yakkan into it (idempotent).
#   bash scripts/setup.sh          # the tool
#   bash scripts/setup.sh --dev    # the tool and its test/lint dependencies
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
extras=""
if [ "${1:-}" = "--dev" ]; then extras="[dev]"; fi
.venv/bin/python -m pip install --quiet -e ".${extras}"

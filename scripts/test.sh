#!/usr/bin/env bash
# Set up this machine and run the whole test suite (typecheck, unit, integration).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> npm test"
npm test

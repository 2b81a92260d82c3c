#!/usr/bin/env bash
# Regenerate the figures the README shows (docs/figures/) from a run of scenarios/lab-quick.yaml on the
# lab: the latest one under results/lab-quick, or a fresh one when there is none (root, as `npm run demo`).
# Usage: bash scripts/docs-figures.sh [RUN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
run="${1:-}"
if [ -z "$run" ]; then
  run=$(ls -d results/lab-quick/*/ 2>/dev/null | sort | tail -n 1 || true)
  if [ -z "$run" ]; then
    node dist/cli/main.js lab up >/dev/null
    node dist/cli/main.js run scenarios/lab-quick.yaml --no-analyze >/dev/null
    run=$(ls -d results/lab-quick/*/ | sort | tail -n 1)
  fi
fi
node dist/cli/main.js --share analyze "$run" >/dev/null
node dist/cli/main.js --share report "$run" --figure-width double --dpi 150 >/dev/null
for f in boost timeseries-1; do cp "$run/figures/$f.png" "docs/figures/lab-quick-$f.png"; done
echo "docs/figures/ from $run"

#!/usr/bin/env bash
# The quick start: set up, bring the lab up, run scenarios/lab-quick.yaml, print Boost% and the figure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/cli/main.js lab up
node dist/cli/main.js run scenarios/lab-quick.yaml
echo "The lab stays up for more runs; remove it with: node dist/cli/main.js lab down"

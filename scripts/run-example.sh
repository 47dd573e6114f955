#!/usr/bin/env bash
# One command for a new user on Debian 12: install packages, build, and solve the bundled measured MnO pattern.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
bash scripts/build.sh
out=runs/example-MnO-$(date +%Y%m%d-%H%M%S)  # a new folder each run: results are never overwritten
mkdir -p runs
build/bin/pxrd-diff solve resources/examples/MnO.xy --formula MnO -k 5 -o "$out"
echo "Candidates, fits and summary.json are in $out/"

#!/usr/bin/env bash
# Builds (if needed) and runs every test suite through ctest. GUI tests run under xvfb-run (set in CMake).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 1200 -j2

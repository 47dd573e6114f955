#!/usr/bin/env bash
# ASan + UBSan build of pxrd_core, pxrd_formats and the pattern-format tests, then runs them.
# Uses clang so that scripts/ci-fuzz.sh can reuse the same build (build-sanitize/).
#   bash scripts/ci-sanitize.sh                  configure, build, run the tests
#   bash scripts/ci-sanitize.sh --configure-only (used by ci-fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build-sanitize

# clang and its sanitizer/libFuzzer runtimes (not in setup-debian.sh: only CI needs them).
if ! command -v clang++ >/dev/null || ! compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPXRD_BUILD_MODELS=OFF -DPXRD_BUILD_UI=OFF -DPXRD_SANITIZE=ON -DPXRD_BUILD_FUZZERS=ON >/dev/null
fi
[ "${1:-}" = "--configure-only" ] && exit 0

tests=$(cd tests/formats && ls test_*.cpp | sed 's/\.cpp$//')
# shellcheck disable=SC2086
cmake --build "$BUILD" --target pxrd_example_format $tests
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Leaks inside Debian's xylib are not ours (see fuzz/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp"
cd "$BUILD"
ctest --output-on-failure --timeout 600 -L formats

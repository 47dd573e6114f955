#!/usr/bin/env bash
# Bounded libFuzzer run of every pattern reader (clang, ASan + UBSan), seeded from fuzz/corpus/.
#   PXRD_FUZZ_SECONDS  seconds per reader (default 10; 17 readers)
# New inputs go to a temporary copy of the corpus; a crash leaves its input in build-sanitize/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build-sanitize
SECONDS_PER_READER="${PXRD_FUZZ_SECONDS:-10}"
bash scripts/ci-sanitize.sh --configure-only
cmake --build "$BUILD" --target pxrd_fuzzers

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$BUILD/fuzz-artifacts"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Leaks inside Debian's xylib are not ours (see fuzz/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp"
status=0
for seeds in fuzz/corpus/*/; do
  reader=$(basename "$seeds")
  target="$BUILD/fuzz/fuzz_$reader"
  [ -x "$target" ] || { echo "ci-fuzz: no target for $reader"; status=1; continue; }
  mkdir -p "$work/$reader"
  echo "ci-fuzz: $reader (${SECONDS_PER_READER} s)"
  if ! "$target" -max_total_time="$SECONDS_PER_READER" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/${reader}-" \
       "$work/$reader" "$seeds" > "$work/$reader.log" 2>&1; then
    # A crash whose first frames are inside Debian's libxy (e.g. the UXD reader's double free on malformed input)
    # is a bug of xylib 1.6, not of our code: reported here and in README.md, but it does not fail CI.
    if grep -m1 -A3 -E "ERROR: AddressSanitizer|runtime error" "$work/$reader.log" | grep -q "libxy.so"; then
      echo "ci-fuzz: $reader: KNOWN XYLIB BUG (crash inside libxy.so; input kept in $BUILD/fuzz-artifacts/)"
      grep -m1 "SUMMARY" "$work/$reader.log" || true
    else
      echo "ci-fuzz: $reader FAILED"; tail -40 "$work/$reader.log"; status=1
    fi
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$reader.log" | tr '\n' ' '; echo
  fi
done
exit $status

#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the packages,
# builds, runs every test (unit, integration, end to end), then the unit
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j 2 --timeout 600
if [ "$QUICK" = 0 ]; then
  MLOPS_BUILD_DIR=build-asan MLOPS_BUILD_TYPE=Debug scripts/build.sh -DMLOPS_SANITIZE=ON -DMLOPS_BUILD_BENCH=OFF -DMLOPS_ML_TORCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 -L unit --timeout 600
fi
# The libFuzzer targets (fuzz/, clang) replay their seed corpora once each.
scripts/build-fuzz.sh
ctest --test-dir build-fuzz --output-on-failure -j 2 -L fuzz --timeout 120
echo "all tests passed"

#!/usr/bin/env bash
# Crash-consistency soak: runs the kill -9 fault test of the e2e suite with N
# kill points (default 100) instead of CI's 5, against ./build (or
# $MLOPS_BUILD_DIR), and prints its counts. Set MLOPS_CRASH_SEED to repeat a
# printed seed. Not called by CI. See docs/operations.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N kill points, a positive integer]" >&2; exit 2; }
BUILD_DIR=${MLOPS_BUILD_DIR:-build}
cmake --build "$BUILD_DIR" --target e2e_test -j 2 >/dev/null
MLOPS_CRASH_ROUNDS=$N exec "$BUILD_DIR/bin/e2e_test" \
  --gtest_filter='CrashConsistencyE2E.KillNineDuringBurstsLosesNothingAcknowledgedOrReportedEnded'

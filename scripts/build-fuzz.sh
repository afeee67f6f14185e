#!/usr/bin/env bash
# Configures (once) and builds the libFuzzer targets with clang into
# ./build-fuzz (or $MLOPS_FUZZ_BUILD_DIR), apart from the g++ build
# (docs/fuzzing.md).
#   scripts/build-fuzz.sh [TARGET...]   default: every target
# Targets: pipeline config webhook envelope model csv http.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${MLOPS_FUZZ_BUILD_DIR:-build-fuzz}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(pipeline config webhook envelope model csv http)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMLOPS_FUZZ=ON -DMLOPS_BUILD_TESTS=OFF -DMLOPS_BUILD_BENCH=OFF -DMLOPS_ML_TORCH=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" -j "${MLOPS_FUZZ_BUILD_JOBS:-$(nproc)}" --target "${TARGETS[@]/#/fuzz_}"

#!/usr/bin/env bash
# Configures and builds mlopsd into ./build (or $MLOPS_BUILD_DIR).
# Extra arguments go to CMake's configure step (e.g. -DMLOPS_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${MLOPS_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${MLOPS_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"

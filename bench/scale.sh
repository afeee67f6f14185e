#!/usr/bin/env bash
# Scale benchmark: start-up time (spawn to mlopsd.addr, first start and
# starts with the plugin description cache), webhook and manual trigger to
# first stage start, and a burst of one-stage runs (drain rate at the start
# and the end, runs or attempts left unfinished, mlopsd's peak memory). Each
# part runs its own throwaway mlopsd on 127.0.0.1 with --cpus 2. Prints a
# Markdown report; not a test. The 20,000-run burst takes minutes: run it
# alone on an otherwise idle machine.
#   bench/scale.sh [scale.py options]   e.g. --runs 2000, --parts startup,push
# The build folder is $MLOPS_BUILD_DIR (default build/); git must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${MLOPS_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${MLOPS_BUILD_TYPE:-RelWithDebInfo} >/dev/null
if ! out=$(cmake --build "$BUILD_DIR" -j "$(nproc)" \
    --target mlopsd mlops-stage mlops-git-fetch mlops_plugin_exec 2>&1); then
  echo "$out" >&2
  exit 1
fi
exec /usr/bin/python3 bench/scale.py --build "$BUILD_DIR" "$@"

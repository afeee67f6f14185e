#!/usr/bin/env bash
# Builds what the DAG benchmark needs (mlopsd, mlctl, the stage host, the exec
# plugin, the spawn-loop baseline) and runs bench/dag_bench.py, which writes
# bench/RESULTS.md. Takes about three minutes on two cores; not a test.
#   bench/run.sh [dag_bench.py options]      e.g. --reps 5, --results /tmp/r.md
# The build folder is $MLOPS_BUILD_DIR (default build/), as for scripts/build.sh.
# make and snakemake come from scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${MLOPS_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${MLOPS_BUILD_TYPE:-RelWithDebInfo} \
  -DMLOPS_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" \
  --target mlopsd mlctl mlops-stage mlops_plugin_exec mlops_bench_spawn_loop
exec /usr/bin/python3 bench/dag_bench.py --build "$BUILD_DIR" --results bench/RESULTS.md \
  --invoked-as bench/run.sh "$@"

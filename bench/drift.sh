#!/usr/bin/env bash
# The drift measures on ROWS x FEATURES (default 1,000,000 x 100) against a
# reference of 100,000 rows: mlops_drift (bench/drift_bench.cc) and NumPy +
# SciPy (bench/drift_bench.py) computing the same measures in the same run,
# each pinned to one core, one thread. Prints a Markdown table for
# bench/RESULTS.md ("Drift measures"); not a test.
#   bench/drift.sh [ROWS [FEATURES]]
# The build folder is $MLOPS_BUILD_DIR (default build/), as for scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${MLOPS_BUILD_DIR:-build}
ROWS=${1:-1000000}
FEATURES=${2:-100}
REF_ROWS=100000
SAMPLE=5000
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${MLOPS_BUILD_TYPE:-RelWithDebInfo} \
  -DMLOPS_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j 2 --target mlops_bench_drift >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
ours=$(taskset -c 0 "$BUILD_DIR/bin/mlops_bench_drift" "$ROWS" "$FEATURES" "$REF_ROWS" "$SAMPLE")
theirs=$(taskset -c 0 /usr/bin/python3 bench/drift_bench.py "$ROWS" "$FEATURES" "$REF_ROWS" "$SAMPLE")
/usr/bin/python3 - "$ours" "$theirs" <<PY
import json, os, subprocess, sys
ours, theirs = (json.loads(a) for a in sys.argv[1:3])
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print(f"Command: \`bench/drift.sh $ROWS $FEATURES\`; commit {commit}; {os.cpu_count()} CPUs, load average "
      f"{open('/proc/loadavg').read().split()[0]} at the end; each tool pinned to CPU 0, one thread.")
print()
print("| tool | seconds (measures only) | peak RSS | features over PSI 0.2 |")
print("|---|---|---|---|")
for r in (ours, theirs):
    print(f"| {r['tool']} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} MB | {r['drifted']} of $FEATURES |")
print()
print(f"mlops_drift is {theirs['seconds'] / ours['seconds']:.1f}x faster.")
PY

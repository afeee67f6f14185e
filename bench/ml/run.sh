#!/usr/bin/env bash
# ML benchmark: the trainer's throughput against the same MLP trained by
# Debian's python3-torch in the same run, and float vs INT8 inference.
#   bench/ml/run.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
cmake --build "$BUILD" --target mlops_bench_trainer >/dev/null
DATA=/usr/lib/python3/dist-packages/sklearn/datasets/data
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for set in "digits.csv.gz csv" "breast_cancer.csv sklearn"; do
  read -r file format <<<"$set"
  for threads in 1 2; do
    echo "== $file, $threads thread(s), 30 epochs, batch 32, MLP features-128-classes"
    "$BUILD/bin/mlops_bench_trainer" "$DATA/$file" "$format" "$OUT" "$threads" 30 | tee "$OUT/ours.json"
    /usr/bin/python3 bench/ml/torch_reference.py "$OUT" "$threads" 30 | tee "$OUT/ref.json"
    /usr/bin/python3 - "$OUT" <<'PY'
import json, sys
ours = json.loads(open(sys.argv[1] + "/ours.json").readline())
ref = json.loads(open(sys.argv[1] + "/ref.json").readline())
print("throughput ratio mlopsd/python3-torch: %.2fx" % (ours["samples_per_s"] / ref["samples_per_s"]))
PY
  done
done

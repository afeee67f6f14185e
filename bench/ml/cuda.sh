#!/usr/bin/env bash
# The trainer on a GPU: builds bench/ml/cuda (the trainer benchmark alone)
# against the libtorch of the machine's PyTorch, then trains the same MLPs
# with it and with PyTorch in Python, on the CPU and on CUDA, same rows, same
# run. Rows for CUDA are skipped where PyTorch sees no CUDA device.
#   bench/ml/cuda.sh [OUT_DIR]
# Environment:
#   PYTHON         python3
#   TORCH_PREFIX   libtorch's CMake prefix (default: the one PyTorch reports)
#   TORCH_DIR      libtorch's folder, with include/ and lib/, used only where
#                  its CMake package fails (default: PyTorch's)
#   BUILD          /tmp/mlops-cuda-build
#   THREADS        CPU threads, 8
#   DATASETS       "FILE FORMAT;FILE FORMAT" (default: the two below)
#   EXTRA_INCLUDE, EXTRA_LIB  zlib and nlohmann-json where the machine lacks
#                  their development files
#   DATA           the scikit-learn data folder
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
BUILD=${BUILD:-/tmp/mlops-cuda-build}
THREADS=${THREADS:-8}
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DATA=${DATA:-$("$PY" -c 'import os, sklearn.datasets as d; print(os.path.dirname(d.__file__) + "/data")')}
PREFIX=${TORCH_PREFIX:-$("$PY" -c "import torch; print(torch.utils.cmake_prefix_path)")}
CUDA=$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
  torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device")'
BIN=$BUILD/mlops_bench_trainer
if cmake -S bench/ml/cuda -B "$BUILD" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DMLOPS_EXTRA_INCLUDE="${EXTRA_INCLUDE:-}" -DMLOPS_EXTRA_LIB="${EXTRA_LIB:-}" >"$OUT/configure.log" 2>&1; then
  cmake --build "$BUILD" -j "$(nproc)" >"$OUT/build.log" 2>&1 || { tail -50 "$OUT/build.log"; exit 1; }
else
  # libtorch's CMake package can refuse to configure (it looks for the CUDA
  # toolkit's development files); its headers and libraries do without.
  tail -20 "$OUT/configure.log"
  echo "libtorch's CMake package did not configure: building with the compiler directly"
  TORCH=${TORCH_DIR:-$("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__))')}
  mkdir -p "$BUILD/obj"
  srcs=$(sed -n '/^add_executable(mlops_bench_trainer/,/)$/p' bench/ml/cuda/CMakeLists.txt |
    grep -o '\${[A-Z]*}/[^ )]*' | sed "s#\${ROOT}#$PWD#; s#\${ML}#$PWD/plugins/ml#")
  for src in $srcs; do
    echo "c++ -std=c++20 -O2 -DNDEBUG -Wall -Wextra -Wno-unused-parameter -I$PWD/common/include -I$PWD/plugins/ml" \
      "${EXTRA_INCLUDE:+-isystem $EXTRA_INCLUDE} -isystem $TORCH/include -isystem $TORCH/include/torch/csrc/api/include" \
      "-c $src -o $BUILD/obj/$(basename "$src").o"
  done | xargs -P "$(nproc)" -I{} sh -c '{}' >"$OUT/build.log" 2>&1 || { tail -50 "$OUT/build.log"; exit 1; }
  # torch_cuda registers CUDA when loaded: linked even though no symbol of it is used.
  cuda_libs=""
  [ -e "$TORCH/lib/libtorch_cuda.so" ] && cuda_libs="-ltorch_cuda -lc10_cuda"
  c++ -o "$BIN" "$BUILD"/obj/*.o -L"$TORCH/lib" -Wl,-rpath,"$TORCH/lib" -Wl,--no-as-needed $cuda_libs -ltorch \
    -ltorch_cpu -lc10 -Wl,--as-needed ${EXTRA_LIB:+-L$EXTRA_LIB} -lz >>"$OUT/build.log" 2>&1 ||
    { tail -50 "$OUT/build.log"; exit 1; }
fi
devices=cpu
[ "$CUDA" = 1 ] && devices="cpu cuda"
: >"$OUT/results.jsonl"
IFS=';' read -r -a SETS <<<"${DATASETS:-digits.csv.gz csv;breast_cancer.csv sklearn}"
for set in "${SETS[@]}"; do
  read -r file format <<<"$set"
  # A small MLP at batch 32 (the CPU benchmark's), and a wider one at batch 256.
  for shape in "32 128" "256 1024,1024"; do
    read -r batch hidden <<<"$shape"
    for device in $devices; do
      "$BIN" "$DATA/$file" "$format" "$WORK" "$THREADS" 30 "$batch" "$device" "$hidden" |
        grep "\"impl\"" | tee "$WORK/ours.json"
      "$PY" bench/ml/torch_reference.py "$WORK" "$THREADS" 30 "$batch" "$device" "$hidden" | tee "$WORK/ref.json"
      "$PY" - "$WORK" "$file" "$OUT/results.jsonl" <<'PY'
import json, sys
ours = json.loads(open(sys.argv[1] + "/ours.json").read())
ref = json.loads(open(sys.argv[1] + "/ref.json").read())
row = {"data": sys.argv[2], "device": ref["device"], "batch": ref["batch"], "hidden": ref["hidden"],
       "ours": ours["samples_per_s"], "ref": ref["samples_per_s"], "ref_impl": ref["impl"],
       "ratio": round(ours["samples_per_s"] / ref["samples_per_s"], 2),
       "ours_later": ours["samples_per_s_after_first"], "ref_later": ref["samples_per_s_after_first"],
       "acc_ours": ours["val_accuracy"], "acc_ref": ref["val_accuracy"]}
open(sys.argv[3], "a").write(json.dumps(row) + "\n")
PY
    done
  done
done
echo
echo "samples/s over all epochs; in brackets, over the epochs after the first (no first-use costs)"
echo "| data | device | batch | hidden | mlopsd trainer | PyTorch | ratio | val. accuracy (ours / ref) |"
echo "|---|---|---|---|---|---|---|---|"
"$PY" - "$OUT/results.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print("| %s | %s | %d | %s | %d (%d) | %d (%d) | %.2fx (%.2fx) | %.4f / %.4f |" % (
        r["data"], r["device"], r["batch"], r["hidden"], r["ours"], r["ours_later"], r["ref"], r["ref_later"],
        r["ratio"], r["ours_later"] / r["ref_later"], r["acc_ours"], r["acc_ref"]))
PY

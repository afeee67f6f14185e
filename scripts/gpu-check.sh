#!/usr/bin/env bash
# GPU slots on a machine with an NVIDIA GPU and PyTorch: starts mlopsd with
# --gpus 1 and runs a pipeline of three independent exec stages, two asking
# for a GPU and one not. Checks, through PyTorch inside each stage, that a
# stage with a slot sees exactly one device and a stage without sees none,
# and that the two GPU stages never overlap in time. Exits non-zero if any
# check fails. Not part of the test suite (it needs a GPU).
#   scripts/gpu-check.sh [BUILD_DIR]      (default: build)
# Environment: PYTHON (python3 with torch).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PY=$(command -v "${PYTHON:-python3}")
source scripts/lib/local-daemon.sh gpu-check  # WORK, local_daemon_start
mkdir -p "$WORK/pipelines" "$WORK/out"
cat >"$WORK/stage.sh" <<STAGE
#!/bin/sh
# stage.sh NAME: when it ran, and the CUDA devices it sees.
echo "\$1 start \$(date +%s.%N)" >>"$WORK/out/times"
"$PY" -c 'import os, torch
n = torch.cuda.device_count()
print(os.environ.get("CUDA_VISIBLE_DEVICES", "(unset)"), n, *(torch.cuda.get_device_name(i) for i in range(n)), sep="|")' \
  >"$WORK/out/\$1.devices"
sleep 1
echo "\$1 end \$(date +%s.%N)" >>"$WORK/out/times"
STAGE
cat >"$WORK/pipelines/gpu.yaml" <<YAML
version: 1
name: gpu-check
stages:
  - {name: gpu-a, uses: exec, argv: [sh, "$WORK/stage.sh", gpu-a], resources: {gpus: 1}}
  - {name: gpu-b, uses: exec, argv: [sh, "$WORK/stage.sh", gpu-b], resources: {gpus: 1}}
  - {name: cpu-only, uses: exec, argv: [sh, "$WORK/stage.sh", cpu-only]}
YAML
"$BUILD/bin/mlctl" pipeline validate "$WORK/pipelines/gpu.yaml"
local_daemon_start "$BUILD" "$WORK/pipelines" --cpus 4 --gpus 1
status=0
"$BUILD/bin/mlctl" trigger gpu-check --wait >/dev/null 2>&1 || status=$?
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /' || true
for s in gpu-a gpu-b cpu-only; do echo "$s sees: $(cat "$WORK/out/$s.devices" 2>/dev/null)"; done
cat "$WORK/out/times"
"$PY" - "$WORK/out" "$status" <<'PY'
import sys
out, status = sys.argv[1], int(sys.argv[2])
fails = []
if status != 0:
    fails.append("the run did not succeed (mlctl exit %d)" % status)
def sees(stage):
    try:
        visible, count, *names = open("%s/%s.devices" % (out, stage)).read().strip().split("|")
        return visible, int(count), names
    except (OSError, ValueError) as e:
        fails.append("%s: no device report (%s)" % (stage, e))
        return None, -1, []
for stage in ("gpu-a", "gpu-b"):
    visible, count, names = sees(stage)
    if count != 1 or visible in ("", "(unset)"):
        fails.append("%s asked for one GPU and sees %d (CUDA_VISIBLE_DEVICES=%s)" % (stage, count, visible))
visible, count, _ = sees("cpu-only")
if count != 0:
    fails.append("cpu-only asked for no GPU and sees %d (CUDA_VISIBLE_DEVICES=%s)" % (count, visible))
span = {}
for line in open(out + "/times"):
    stage, what, t = line.split()
    span.setdefault(stage, {})[what] = float(t)
a, b = span.get("gpu-a", {}), span.get("gpu-b", {})
if len(a) == 2 and len(b) == 2:
    if a["start"] < b["end"] and b["start"] < a["end"]:
        fails.append("gpu-a and gpu-b overlapped with one GPU slot")
else:
    fails.append("a GPU stage did not record its start and end")
for f in fails:
    print("FAIL:", f)
print("gpu-check:", "FAILED" if fails else "passed")
sys.exit(1 if fails else 0)
PY

#!/usr/bin/env bash
# The main job (SPEC §2): starts mlopsd with embedded defaults and a local
# state folder, runs the breast-cancer pipeline on real data, and prints what
# mlctl shows about the run, its lineage and its artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
scripts/install-deps.sh >/dev/null
scripts/build.sh >/dev/null
STATE=${MLOPS_DEMO_STATE:-$ROOT/demo-state}
rm -rf "$STATE"
mkdir -p "$STATE"
MLCTL="$ROOT/build/bin/mlctl"
"$ROOT/build/bin/mlopsd" --state-dir "$STATE" --listen 127.0.0.1:0 \
  --pipelines "$ROOT/pipelines" >"$STATE.log" 2>&1 &
DAEMON=$!
trap 'kill -TERM $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do [ -s "$STATE/mlopsd.addr" ] && break; sleep 0.05; done
export MLCTL_SERVER="http://$(cat "$STATE/mlopsd.addr")"
echo "== mlopsd listening on $MLCTL_SERVER"
echo "== pipelines"
"$MLCTL" pipeline list
echo "== mlctl trigger breast-cancer --wait"
"$MLCTL" trigger breast-cancer --wait --reason "demo"
RUN=$("$MLCTL" --json runs list --pipeline breast-cancer --limit 1 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')
echo "== mlctl runs show $RUN"
"$MLCTL" runs show "$RUN"
echo "== mlctl logs $RUN evaluate"
"$MLCTL" logs "$RUN" evaluate
MODEL=$("$MLCTL" --json runs show "$RUN" | /usr/bin/python3 -c '
import json,sys
run=json.load(sys.stdin)
print(next(e["artifact"] for s in run["stages"] if s["stage"]=="train" for e in s["artifacts"] if e["kind"]=="produced"))')
echo "== mlctl lineage $MODEL (the model)"
"$MLCTL" lineage "$MODEL"
echo "== second trigger: unchanged inputs are served from the stage cache"
"$MLCTL" trigger breast-cancer --wait --reason "demo, unchanged"
"$MLCTL" runs list --pipeline breast-cancer

#!/usr/bin/env bash
# The main job (README): starts mlopsd with embedded defaults and a local
# state folder, creates a Git repository holding the breast-cancer-mlp
# pipeline, commits and pushes it; the daemon, triggered by that commit,
# tunes, trains, evaluates (gates) and quantizes an MLP on Debian's real
# breast-cancer data in a checkout of the exact commit, signs the model
# (Ed25519, in-toto statement in a DSSE envelope) and records lineage. The
# signed, gated model becomes version 1, staged automatically; the demo
# verifies it, promotes it to production as admin, verifies the production
# folder offline and prints the audit log. A second trigger of the same
# commit finds the pipeline up to date and runs nothing. Last, the production
# model answers a TensorFlow Serving and an Open Inference Protocol v2
# request through mlops-serve, which mlopsd started (config `serving:`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
scripts/install-deps.sh >/dev/null
scripts/build.sh >/dev/null
DEMO=${MLOPS_DEMO_DIR:-$ROOT/demo-state}
rm -rf "$DEMO"
mkdir -p "$DEMO"
MLCTL="$ROOT/build/bin/mlctl"
export GIT_AUTHOR_NAME="mlops demo" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="mlops demo" GIT_COMMITTER_EMAIL="demo@example.com"

echo "== a Git repository holding the pipeline"
git init -q --bare -b main "$DEMO/models.git"
git clone -q "$DEMO/models.git" "$DEMO/work" 2>/dev/null
mkdir -p "$DEMO/work/.mlops"
cp pipelines/breast-cancer-mlp/pipeline.yaml "$DEMO/work/.mlops/pipeline.yaml"
echo "== mlctl keys generate   (the daemon's model-signing key)"
"$MLCTL" keys generate --out-dir "$DEMO" --name signing
cat > "$DEMO/mlopsd.yaml" <<YAML
state_dir: $DEMO/state
listen: 127.0.0.1:0
signing_key: $DEMO/signing.key
repositories:
  - name: models
    url: $DEMO/models.git
    branches: [main]
    poll_interval: 1s
    coalesce_window: 500ms
serving:
  listen: 127.0.0.1:0
YAML

echo "== mlopsd --config $DEMO/mlopsd.yaml"
"$ROOT/build/bin/mlopsd" --config "$DEMO/mlopsd.yaml" >"$DEMO/mlopsd.log" 2>&1 &
DAEMON=$!
# mlopsd leaves the mlops-serve it supervises running when it stops
# (docs/serving.md, "Running it"): the demo ends both.
stop_all() {
  # Under set -e a failing command would end this function early: each may fail.
  kill -TERM $DAEMON 2>/dev/null || true
  wait $DAEMON 2>/dev/null || true
  if [ -s "$DEMO/state/serving/mlops-serve.pid" ]; then
    kill -TERM "$(cut -d' ' -f1 "$DEMO/state/serving/mlops-serve.pid")" 2>/dev/null || true
  fi
}
trap stop_all EXIT
for _ in $(seq 1 200); do [ -s "$DEMO/state/mlopsd.addr" ] && break; sleep 0.05; done
export MLCTL_SERVER="http://$(cat "$DEMO/state/mlopsd.addr")"
# The admin token the daemon made at its first start; mlctl reads the file
# (a token never goes on a command line).
export MLCTL_TOKEN_FILE="$DEMO/state/admin.token"
echo "   listening on $MLCTL_SERVER; dashboard: $MLCTL_SERVER/ (sign in with the token in $DEMO/state/admin.token)"

wait_for_run_of() {  # commit -> prints the run id once that run has ended
  local commit=$1 id=""
  for _ in $(seq 1 600); do
    id=$("$MLCTL" --json runs list --limit 20 | /usr/bin/python3 -c "
import json,sys
runs=[r for r in json.load(sys.stdin)['runs'] if r['commit']=='$commit']
print(runs[0]['id'] if runs else '')")
    [ -n "$id" ] && break
    sleep 0.1
  done
  [ -n "$id" ] || { echo "no run started for $commit" >&2; cat "$DEMO/mlopsd.log" >&2; exit 1; }
  "$MLCTL" runs wait "$id" >/dev/null || true
  echo "$id"
}

echo "== git commit && git push (the pipeline, its scripts)"
git -C "$DEMO/work" add -A
git -C "$DEMO/work" commit -q -m "breast-cancer-mlp pipeline"
git -C "$DEMO/work" push -q origin main
COMMIT=$(git -C "$DEMO/work" rev-parse HEAD)
RUN=$(wait_for_run_of "$COMMIT")
echo "== mlctl runs show $RUN   (started by commit ${COMMIT:0:12})"
"$MLCTL" runs show "$RUN"
for stage in tune train evaluate quantize sign; do
  echo "== mlctl logs $RUN $stage"
  "$MLCTL" logs "$RUN" "$stage" | tail -n 6
done
echo "== the evaluator's test-split metrics and gates, the quantizer's sizes"
"$MLCTL" --json runs show "$RUN" | /usr/bin/python3 -c '
import json,sys
run=json.load(sys.stdin)
for s in run["stages"]:
    if s["stage"] in ("evaluate", "quantize"):
        print("  %-9s %s" % (s["stage"], ", ".join("%s=%.4g" % (m["key"], m["value"]) for m in s["metrics"])))'
MODEL=$("$MLCTL" --json runs show "$RUN" | /usr/bin/python3 -c '
import json,sys
run=json.load(sys.stdin)
print(next(e["artifact"] for s in run["stages"] if s["stage"]=="quantize" for e in s["artifacts"] if e["kind"]=="produced" and e["name"]=="model.int8.mlp"))')
echo "== mlctl lineage $MODEL   (the model, back to the data and the commit)"
"$MLCTL" lineage "$MODEL"
echo "== mlctl artifacts show $MODEL"
"$MLCTL" artifacts show "$MODEL"

echo "== mlctl models show breast-cancer-mlp   (version 1: signed, gates passed, staged by the pipeline's policy)"
"$MLCTL" models show breast-cancer-mlp
echo "== mlctl models verify breast-cancer-mlp 1   (the daemon re-hashes every file, checks the signature)"
"$MLCTL" models verify breast-cancer-mlp 1
echo "== mlctl models promote breast-cancer-mlp 1 --to production   (admin; checked again)"
"$MLCTL" models promote breast-cancer-mlp 1 --to production --reason "demo: gates passed"
PROD="$DEMO/state/models/breast-cancer-mlp/production"
echo "== $PROD, verified offline with the public key"
ls -l "$PROD/"
"$MLCTL" verify --dir "$PROD" --trusted-key "$DEMO/signing.pub"
echo "== mlctl audit --model breast-cancer-mlp"
"$MLCTL" audit --model breast-cancer-mlp

echo "== mlctl trigger breast-cancer-mlp --commit ${COMMIT:0:12} --wait   (same commit, same data: nothing runs again, the results of run $RUN stand)"
"$MLCTL" trigger breast-cancer-mlp --commit "$COMMIT" --reason "demo: unchanged" --wait
RUN2=$("$MLCTL" --json runs list --limit 1 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')
"$MLCTL" runs show "$RUN2"
echo "== mlctl repos list"
"$MLCTL" repos list
echo "== mlctl runs list"
"$MLCTL" runs list

echo "== mlctl serve status   (mlops-serve, started by mlopsd, serves the production version)"
for _ in $(seq 1 200); do
  "$MLCTL" --json serve status | /usr/bin/python3 -c '
import json,sys
s=json.load(sys.stdin)
m=[m for m in s["models"] if m["name"]=="breast-cancer-mlp"]
sys.exit(0 if s["server"]["status"]=="up" and m and m[0]["served"].get("1",{}).get("state")=="AVAILABLE" else 1)' && break
  sleep 0.1
done
"$MLCTL" serve status
SERVE="http://$(cat "$DEMO/state/mlops-serve.addr")"
# The admin token may predict (serving.predict_roles); from a 0600 header
# file, never on a command line.
( umask 077; printf 'Authorization: Bearer %s\n' "$(cat "$DEMO/state/admin.token")" >"$DEMO/auth.header" )
ROW=$(/usr/bin/python3 -c '
import csv
with open("/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv") as f:
    r=csv.reader(f); next(r); print(",".join(next(r)[:30]))')
echo "== TensorFlow Serving REST: POST $SERVE/v1/models/breast-cancer-mlp:predict"
curl -sS -H "@$DEMO/auth.header" -H "Content-Type: application/json" \
  -d "{\"instances\": [[$ROW]]}" "$SERVE/v1/models/breast-cancer-mlp:predict"
echo
echo "== Open Inference Protocol v2: POST $SERVE/v2/models/breast-cancer-mlp/infer"
curl -sS -H "@$DEMO/auth.header" -H "Content-Type: application/json" \
  -d "{\"id\": \"demo-1\", \"inputs\": [{\"name\": \"features\", \"shape\": [1, 30], \"datatype\": \"FP64\", \"data\": [$ROW]}]}" \
  "$SERVE/v2/models/breast-cancer-mlp/infer"
echo

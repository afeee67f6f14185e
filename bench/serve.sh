#!/usr/bin/env bash
# Serving benchmark (docs/serving.md, "Benchmarks"), in one run on this machine:
#  1. batch-1 throughput and latency of mlops-serve with wrk, Open Inference
#     Protocol v2 and TF-Serving forms, each against a bare CivetWeb server
#     (bench/serve_bare.c) answering mlops-serve's own answer, byte for byte;
#  2. batch-256 rows/s on the digits model against the same model run by
#     Debian's python3-torch behind Python's http.server (bench/serve_torch.py);
#  3. idle RSS of mlops-serve with one model loaded;
#  4. a hot swap under a paced 500 requests/s (bench/serve_paced.c): a
#     promotion, then a rollback, with the failed requests counted;
#  5. the same load while a deliberately worse version goes through the
#     pipeline's canary policy and mlopsd rolls it back automatically.
# Models are trained, evaluated and signed by a real mlopsd (trainer,
# evaluator, signer plugins) and promoted with mlctl; mlops-serve reads the
# state folder read-only, authenticates a `predictor` token and logs
# predictions with its default settings.
#   bench/serve.sh [BUILD_DIR] [SECONDS]      (default: build, 10)
# MLOPS_BENCH_SERVE=PATH runs that mlops-serve binary instead of the build's
# (a baseline kept aside, measured in the same conditions).
# Needs wrk, curl and python3-torch (scripts/install-deps.sh) and a full
# build (scripts/build.sh). Figures: bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECS=${2:-10}
for tool in wrk curl /usr/bin/python3; do
  command -v $tool >/dev/null || { echo "bench/serve.sh needs $tool (scripts/install-deps.sh)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "bench/serve.sh needs python3-torch" >&2; exit 1; }
cmake --build "$BUILD" --target mlopsd mlctl mlops-serve mlops_bench_serve_bare mlops_bench_serve_paced >/dev/null
source scripts/lib/local-daemon.sh serve-bench
PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  local_daemon_cleanup
}
trap stop_all EXIT
DATA=/usr/lib/python3/dist-packages/sklearn/datasets/data
MLCTL="$BUILD/bin/mlctl"
PY=/usr/bin/python3

# -- Models: breast cancer (two versions, for the swap) and digits. --------
"$MLCTL" keys generate --out-dir "$WORK" --name signing >/dev/null
printf 'signing_key: %s\n' "$WORK/signing.key" >"$WORK/mlopsd.yaml"
mkdir -p "$WORK/pipelines"
pipeline() {  # name model data-spec gates seed [training [canary-policy]]
  local canary=""
  [[ -z ${7:-} ]] || canary=", canary: $7"
  cat >"$WORK/pipelines/$1.yaml" <<YAML
version: 1
name: $1
stages:
  - name: train
    uses: trainer
    with: { data: $3, split: { seed: 7 }, hidden: [64], seed: $5, ${6:-epochs: 40, patience: 10} }
  - name: evaluate
    uses: evaluator
    needs: [train]
    with: { gates: { accuracy: ">= $4" } }
  - name: sign
    uses: signer
    needs: [train, evaluate]
    inputs: [model.mlp]
model:
  name: $2
  artifact: train.model.mlp
  promote: { staging: on_gates, production: manual$canary }
YAML
}
train() {  # pipeline: one run, which must succeed
  "$MLCTL" trigger "$1" --wait --timeout 600 >/dev/null 2>&1 ||
    { echo "pipeline $1 failed" >&2; "$MLCTL" runs list >&2; exit 1; }
}
BC="{ path: $DATA/breast_cancer.csv, format: sklearn }"
pipeline bc bench-bc "$BC" 0.9 7
pipeline digits bench-digits "{ path: $DATA/digits.csv.gz, header: false }" 0.9 7
local_daemon_start "$BUILD" "$WORK/pipelines" --config "$WORK/mlopsd.yaml"
train bc
train digits
# Version 2 of bench-bc: the same pipeline with another seed.
pipeline bc bench-bc "$BC" 0.9 8
"$MLCTL" pipeline validate "$WORK/pipelines/bc.yaml" >/dev/null
"$MLCTL" pipeline reload >/dev/null
train bc
"$MLCTL" models promote bench-bc 1 --to production --reason bench >/dev/null
STATE=$WORK/state
TOKEN=$(curl -sf -H "Authorization: Bearer $(cat "$MLCTL_TOKEN_FILE")" -d '{"name":"bench","role":"predictor"}' \
  "$MLCTL_SERVER/api/v1/tokens" | $PY -c 'import json,sys; print(json.load(sys.stdin)["token"])')
AUTH="Authorization: Bearer $TOKEN"

# -- mlops-serve with one model: idle RSS. ---------------------------------
"${MLOPS_BENCH_SERVE:-$BUILD/bin/mlops-serve}" --state-dir "$STATE" --listen 127.0.0.1:0 >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
for ((t = 0; t < 600; t++)); do [[ -s $STATE/mlops-serve.addr ]] && break; sleep 0.05; done
[[ -s $STATE/mlops-serve.addr ]] || { cat "$WORK/serve.log" >&2; exit 1; }
SERVE=$(cat "$STATE/mlops-serve.addr")
wait_ready() {  # model: until GET /v2/models/M/ready answers 200 (30 s at most)
  for ((t = 0; t < 300; t++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "http://$SERVE/v2/models/$1/ready") == 200 ]] && return 0
    sleep 0.1
  done
  echo "model $1 never became ready" >&2; cat "$WORK/serve.log" >&2; exit 1
}
wait_ready bench-bc
sleep 2
IDLE_RSS=$(awk '/^VmRSS/ {print $2}' /proc/$SERVE_PID/status)
IDLE_HWM=$(awk '/^VmHWM/ {print $2}' /proc/$SERVE_PID/status)
"$MLCTL" models promote bench-digits 1 --to production --reason bench >/dev/null
wait_ready bench-digits

# -- Request bodies and the answers mlops-serve gives them. ----------------
$PY - "$DATA" "$WORK" <<'PY'
import csv, gzip, json, sys
data, work = sys.argv[1], sys.argv[2]
bc = [list(map(float, r[:30])) for r in list(csv.reader(open(data + "/breast_cancer.csv")))[1:]]
digits = [list(map(float, r[:64])) for r in csv.reader(gzip.open(data + "/digits.csv.gz", "rt"))]
def oip(rows):
    return {"id": "bench", "inputs": [{"name": "features", "shape": [len(rows), len(rows[0])],
            "datatype": "FP32", "data": [v for r in rows for v in r]}]}
json.dump(oip(bc[:1]), open(work + "/oip1.json", "w"))
json.dump({"instances": bc[:1]}, open(work + "/tfs1.json", "w"))
json.dump(oip(digits[:256]), open(work + "/oip256.json", "w"))
# Both classes, and no id: routing by chance, so the canary gets its share.
mixed = oip(bc[:20])
del mixed["id"]
json.dump(mixed, open(work + "/oip20.json", "w"))
PY
try_post() {  # path body-file answer-file: the status of mlops-serve's answer
  curl -s -o "$3" -w '%{http_code}' -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary @"$2" "http://$SERVE$1"
}
post() {  # path body-file answer-file: 200 required
  local code
  code=$(try_post "$@")
  [[ $code == 200 ]] || { echo "POST $1 answered $code: $(cat "$3")" >&2; exit 1; }
}
post /v2/models/bench-bc/infer "$WORK/oip1.json" "$WORK/oip1.answer"
post /v2/models/bench-digits/infer "$WORK/oip256.json" "$WORK/oip256.answer"
TFS_PATH=/v1/models/bench-bc:predict
TFS_NOTE=""
code=$(try_post "$TFS_PATH" "$WORK/tfs1.json" "$WORK/tfs1.answer")
if [[ $code != 200 ]]; then
  TFS_NOTE=" (POST $TFS_PATH answered $code: $(head -c 200 "$WORK/tfs1.answer"); timed on the versioned path)"
  TFS_PATH=/v1/models/bench-bc/versions/1:predict
  post "$TFS_PATH" "$WORK/tfs1.json" "$WORK/tfs1.answer"
fi

cat >"$WORK/post.lua" <<'LUA'
-- POSTs the body in $BENCH_BODY with the headers below, over and over.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")  -- "Bearer TOKEN"
LUA
THREADS=$(nproc)
CONNS=8
# wrk against URL with body: prints "REQ_PER_S P99_MS NON2XX" (a
# non-2xx answer is counted by wrk as a request like any other: it is shown
# so that a figure made of refusals cannot pass unseen).
run_wrk() {  # url body-file
  BENCH_BODY=$2 BENCH_AUTH="Bearer $TOKEN" wrk -t1 -c$CONNS -d"${SECS}s" --latency -s "$WORK/post.lua" "$1" >"$WORK/wrk.txt"
  awk '/Requests\/sec/ {rps = $2}
       /^ +99%/ {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) sub(/ms/, "", v);
                 else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; p99 = v}
       /Non-2xx/ {bad = $NF}
       END {printf "%s %.2f %d\n", rps, p99, bad}' "$WORK/wrk.txt"
}
bare() {  # answer-file: starts the bare server on a free port, prints its port
  local port
  port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BUILD/bin/mlops_bench_serve_bare" "$port" "$1" 16 >"$WORK/bare.out" 2>&1 &
  PIDS+=("$!")
  BARE_PID=$!
  for ((t = 0; t < 100; t++)); do grep -q ready "$WORK/bare.out" 2>/dev/null && break; sleep 0.05; done
  BARE_PORT=$port
}

echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -r); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (uncommitted changes)')${MLOPS_BENCH_SERVE:+ (mlops-serve: $MLOPS_BENCH_SERVE)}; wrk -t1 -c$CONNS -d${SECS}s; mlops-serve with its default settings"
echo "idle RSS of mlops-serve, one model (bench-bc) loaded: $((IDLE_RSS / 1024)).$(( (IDLE_RSS % 1024) * 10 / 1024 )) MiB (VmRSS), peak $((IDLE_HWM / 1024)) MiB (VmHWM)"

echo "== batch 1, bench-bc (breast cancer, 30 features)"
[[ -z $TFS_NOTE ]] || echo "  note: TF-Serving form$TFS_NOTE"
for form in "oip /v2/models/bench-bc/infer oip1" "tfs $TFS_PATH tfs1"; do
  read -r name path file <<<"$form"
  read -r s_rps s_p99 s_bad < <(run_wrk "http://$SERVE$path" "$WORK/$file.json")
  bare "$WORK/$file.answer"
  read -r b_rps b_p99 b_bad < <(run_wrk "http://127.0.0.1:$BARE_PORT$path" "$WORK/$file.json")
  kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null || true
  printf '  %s: mlops-serve %s req/s p99 %s ms (non-2xx %s); bare CivetWeb %s req/s p99 %s ms (non-2xx %s); ratio %s; answer %s bytes\n' \
    "$name" "$s_rps" "$s_p99" "$s_bad" "$b_rps" "$b_p99" "$b_bad" \
    "$($PY -c "print('%.2fx' % ($s_rps / $b_rps))")" "$(stat -c %s "$WORK/$file.answer")"
done

echo "== batch 256, bench-digits (64 features): rows/s"
read -r s_rps s_p99 s_bad < <(run_wrk "http://$SERVE/v2/models/bench-digits/infer" "$WORK/oip256.json")
TORCH_PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$PY bench/serve_torch.py "$STATE/models/bench-digits/production/model.mlp" "$TORCH_PORT" bench-digits "$THREADS" \
  >"$WORK/torch.out" 2>&1 &
TORCH_PID=$!
PIDS+=("$TORCH_PID")
for ((t = 0; t < 300; t++)); do grep -q ready "$WORK/torch.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/torch.out" || { cat "$WORK/torch.out" >&2; exit 1; }
read -r t_rps t_p99 t_bad < <(run_wrk "http://127.0.0.1:$TORCH_PORT/v2/models/bench-digits/infer" "$WORK/oip256.json")
kill "$TORCH_PID"; wait "$TORCH_PID" 2>/dev/null || true
$PY - "$s_rps" "$s_p99" "$s_bad" "$t_rps" "$t_p99" "$t_bad" <<'PY'
import sys
s, sp, sb, t, tp, tb = sys.argv[1:]
s, t = float(s), float(t)
print(f"  mlops-serve {s * 256:.0f} rows/s ({s:.1f} req/s, p99 {sp} ms, non-2xx {sb}); "
      f"python3-torch + http.server {t * 256:.0f} rows/s ({t:.1f} req/s, p99 {tp} ms, non-2xx {tb}); ratio {s / t:.2f}x")
PY

paced() {  # seconds body-file: 500 requests/s to bench-bc in the background (PACED, T_START)
  T_START=$(date +%s.%N)
  "$BUILD/bin/mlops_bench_serve_paced" 127.0.0.1 "${SERVE#*:}" 500 "$1" 8 /v2/models/bench-bc/infer \
    "$2" "$AUTH" >"$WORK/paced.txt" &
  PACED=$!
}
at() {  # a `date +%s.%N` time -> seconds into the paced run (its second 0 starts 0.1 s after launch)
  $PY -c "print('%.2f' % ($1 - $T_START - 0.1))"
}

echo "== hot swap under a paced 500 requests/s (bench-bc, OIP batch 1, 8 connections)"
paced 14 "$WORK/oip1.json"
sleep 4
T_PROMOTE=$(date +%s.%N)
"$MLCTL" models promote bench-bc 2 --to production --reason "bench: swap" >/dev/null
sleep 5
T_ROLLBACK=$(date +%s.%N)
"$MLCTL" models rollback bench-bc 1 --reason "bench: swap back" >/dev/null
wait "$PACED"
echo "  promotion of version 2 asked at $(at "$T_PROMOTE") s, rollback to version 1 at $(at "$T_ROLLBACK") s of the paced run:"
sed 's/^/  /' "$WORK/paced.txt"
echo "  mlops-serve's stats for bench-bc: $($PY -c "
import json; s = json.load(open('$STATE/serving/stats.json'))['models']['bench-bc']['versions']
print('; '.join('v%s requests %s errors %s client_errors %s' % (v, d['requests'], d['errors'], d['client_errors']) for v, d in sorted(s.items())))" 2>/dev/null || echo unavailable)"

echo "== automatic rollback of a canary under a paced 500 requests/s (bench-bc, OIP, 20 rows a request, no id)"
# Version 3: barely trained (1 epoch at a learning rate of 1e-6), so it
# disagrees with production; the pipeline's canary policy starts it at 50%
# as soon as it reaches staging, and mlopsd rolls it back after two windows
# that break the shadow-disagreement limit.
pipeline bc bench-bc "$BC" 0 9 "epochs: 1, patience: 0, lr: 0.000001" \
  "{ steps: [50, 100], window: 2s, min_requests: 20, limits: { shadow_disagreement: 0.05 } }"
"$MLCTL" pipeline validate "$WORK/pipelines/bc.yaml" >/dev/null
"$MLCTL" pipeline reload >/dev/null
paced 25 "$WORK/oip20.json"
sleep 2
T_TRIGGER=$(date +%s.%N)
train bc
T_TRAINED=$(date +%s.%N)
wait "$PACED"
echo "  pipeline (version 3) triggered at $(at "$T_TRIGGER") s, its run ended at $(at "$T_TRAINED") s of the paced run:"
sed 's/^/  /' "$WORK/paced.txt"
"$MLCTL" --json audit --model bench-bc --limit 20 | $PY -c '
import json, sys
start = float(sys.argv[1]) + 0.1
for r in sorted(json.load(sys.stdin)["entries"], key=lambda r: r["id"]):
    if r["action"].startswith("canary"):
        print("  audit at %.2f s: %s version %s: %s" % (r["at_ms"] / 1000 - start, r["action"], r["version"], r["reason"][:240]))' "$T_START"
LOGGED=$({ find "$STATE/serving/predictions" -name '*.jsonl' 2>/dev/null || true; } | wc -l)
echo "  prediction log after the runs: $LOGGED segment files$( ((LOGGED == 0)) || echo ", $(du -sk "$STATE/serving/predictions" | cut -f1) KiB")"

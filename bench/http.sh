#!/usr/bin/env bash
# HTTP API under load: wrk saturates GET /api/v1/runs?limit=20 with C
# keep-alive connections (C = 32 and 64 by default) while two more clients
# time /healthz and /readyz (one each), a new connection per request.
# Prints wrk's figures and the two clients' latencies (p50, p99, max).
#   bench/http.sh [BUILD_DIR] [SECONDS] [CONNECTIONS...]
# Needs wrk and curl (scripts/install-deps.sh). Figures: bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECS=${2:-10}
shift $(( $# > 2 ? 2 : $# ))
CONNS=("$@")
[[ ${#CONNS[@]} -gt 0 ]] || CONNS=(32 64)
for tool in wrk curl; do
  command -v $tool >/dev/null || { echo "bench/http.sh needs $tool (scripts/install-deps.sh)" >&2; exit 1; }
done
source scripts/lib/local-daemon.sh http-bench

mkdir -p "$WORK/pipelines"
cat >"$WORK/pipelines/p.yaml" <<'YAML'
version: 1
name: p
stages:
  - name: a
    uses: exec
    run: "sh -c 'echo x > out.txt'"
    outputs: [out.txt]
YAML
local_daemon_start "$BUILD" "$WORK/pipelines"
MLCTL="$BUILD/bin/mlctl"
# Twenty runs, so that the list has twenty entries.
for ((i = 0; i < 20; i++)); do "$MLCTL" trigger p --force >/dev/null; done
"$MLCTL" trigger p --force --wait --timeout 120 >/dev/null
AUTH="Authorization: Bearer $(cat "$MLCTL_TOKEN_FILE")"
printf '%s\n' "$AUTH" >"$WORK/auth.header"
chmod 600 "$WORK/auth.header"

# Latencies (ms) of one route from a client that opens a new connection
# for every request, until $WORK/stop appears.
probe() {
  local route=$1 out=$2
  : >"$out"
  while [[ ! -e $WORK/stop ]]; do
    curl -s -o /dev/null -H @"$WORK/auth.header" -H 'Connection: close' \
      -w '%{http_code} %{time_total}\n' "$MLCTL_SERVER$route" >>"$out" || echo "000 0" >>"$out"
  done
}
summary() {
  awk '{ if ($1 != "200") bad++; print $2 * 1000 }
       END { if (bad) print "non-200: " bad > "/dev/stderr" }' "$1" | sort -n |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "no requests"; exit }
      i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
      i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
      printf "%d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", NR, v[i50], v[i99], v[NR] }'
}

echo "machine: $(nproc) CPUs, $(uname -r); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mlopsd: $BUILD/bin/mlopsd with default http_* settings; $SECS s per run"
echo "idle: /healthz $(rm -f "$WORK/stop"; (sleep 2; touch "$WORK/stop") & probe /healthz "$WORK/idle.txt"; summary "$WORK/idle.txt")"
for c in "${CONNS[@]}"; do
  rm -f "$WORK/stop"
  probe /healthz "$WORK/healthz.txt" &
  p1=$!
  probe /readyz "$WORK/readyz.txt" &
  p2=$!
  wrk -t2 -c"$c" -d"${SECS}s" --latency -H "$AUTH" "$MLCTL_SERVER/api/v1/runs?limit=20" >"$WORK/wrk.txt"
  touch "$WORK/stop"
  wait $p1 $p2
  echo "== wrk -t2 -c$c -d${SECS}s GET /api/v1/runs?limit=20"
  grep -E 'Requests/sec|Non-2xx|Socket errors|^ +(50|99)%|Latency ' "$WORK/wrk.txt" | sed 's/^ */  /'
  echo "  /healthz from a client of its own: $(summary "$WORK/healthz.txt")"
  echo "  /readyz  from a client of its own: $(summary "$WORK/readyz.txt")"
done

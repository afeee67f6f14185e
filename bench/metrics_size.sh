#!/usr/bin/env bash
# Size and speed of /metrics after a small workload: a daemon of BUILD_DIR
# runs a one-stage pipeline five times, then 12 API routes are read once
# each; prints the exposition's lines and bytes and `wrk -t1 -c1 -d8s` on
# /metrics. Compare two builds: bench/metrics_size.sh build; bench/metrics_size.sh OTHER_BUILD
# Needs wrk and curl (scripts/install-deps.sh). Figures: bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
source scripts/lib/local-daemon.sh metrics-size
mkdir -p "$WORK/pipelines"
printf 'version: 1\nname: ok\nstages:\n  - name: a\n    uses: exec\n    run: "sh -c '"'"'echo done > out.txt'"'"'"\n    outputs: [out.txt]\n' \
  >"$WORK/pipelines/ok.yaml"
local_daemon_start "$BUILD" "$WORK/pipelines"
AUTH="Authorization: Bearer $(cat "$MLCTL_TOKEN_FILE")"
for i in 1 2 3 4 5; do "$BUILD/bin/mlctl" trigger ok --force >/dev/null; done
"$BUILD/bin/mlctl" trigger ok --force --wait --timeout 120 >/dev/null 2>&1 || true
for r in runs runs/1 runs/1/logs/a artifacts pipelines pipelines/ok plugins version models audit keys whoami; do
  curl -s -o /dev/null -H "$AUTH" "$MLCTL_SERVER/api/v1/$r"
done
echo "$BUILD: /metrics $(curl -s -H "$AUTH" "$MLCTL_SERVER/metrics" | wc -l) lines, $(curl -s -H "$AUTH" "$MLCTL_SERVER/metrics" | wc -c) bytes; load $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c1 -d8s --latency -H "$AUTH" "$MLCTL_SERVER/metrics" | grep -E 'Requests/sec|^ +(50|99)%'

#!/usr/bin/env bash
# Disk use over many runs: N forced runs of a one-stage pipeline (batches of
# 50 queued at once, then waited for) against a throwaway mlopsd, printing
# every 1,000 runs the state folder's size, its parts, and how many run
# folders logs/ and scratch/ hold. With retention on (the default here:
# logs keep 1000, scratch keep 100, collected after runs end) the folders
# stay flat and only registry.db grows; `off` keeps everything, as before
# retention existed. Not a test (CI does not call it).
#   bench/soak.sh [N] [on|off]            (defaults: 5000, on)
# The build folder is $MLOPS_BUILD_DIR (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
MODE=${2:-on}
BATCH=50
BUILD_DIR=${MLOPS_BUILD_DIR:-build}
if ! out=$(cmake --build "$BUILD_DIR" -j 2 --target mlopsd mlctl mlops-stage mlops_plugin_exec 2>&1); then
  echo "$out" >&2
  exit 1
fi
MLCTL=$BUILD_DIR/bin/mlctl
source scripts/lib/local-daemon.sh soak  # WORK, local_daemon_start

mkdir -p "$WORK/pipelines"
cat >"$WORK/pipelines/soak.yaml" <<'YAML'
version: 1
name: soak
stages:
  - {name: one, uses: exec, shell: true, run: "echo run > out.txt; echo a log line", outputs: [out.txt]}
YAML
case $MODE in
  on) cat >"$WORK/mlopsd.yaml" <<'YAML'
retention:
  interval: 1m
  logs: {keep: 1000}
  scratch: {keep: 100}
YAML
  ;;
  off) cat >"$WORK/mlopsd.yaml" <<'YAML'
retention:
  after_runs: false
  logs: {}
  scratch: {}
  workspaces: {}
  checkouts: {}
  provenance: {}
YAML
  ;;
  *) echo "usage: bench/soak.sh [N] [on|off]" >&2; exit 2 ;;
esac
local_daemon_start "$BUILD_DIR" "$WORK/pipelines" --config "$WORK/mlopsd.yaml"
STATE=$WORK/state

kib() { du -sk "$1" 2>/dev/null | cut -f1; }
runs_in() { find "$1" -mindepth 1 -maxdepth 1 -name 'run-*' 2>/dev/null | wc -l; }
report() {
  # Retention after runs acts about a second after they end.
  sleep 2
  printf '%6d %6ds %9d %9d %9d %8d %8d %8d %7d %7d\n' "$1" $((SECONDS - START)) \
    "$(kib "$STATE")" "$(( $(stat -c %s "$STATE/registry.db") / 1024 ))" "$(kib "$STATE/artifacts")" \
    "$(kib "$STATE/logs")" "$(kib "$STATE/scratch")" "$(kib "$STATE/workspaces")" \
    "$(runs_in "$STATE/logs")" "$(runs_in "$STATE/scratch")"
}

echo "retention $MODE, $N runs, state in $STATE"
printf '%6s %7s %9s %9s %9s %8s %8s %8s %7s %7s\n' runs elapsed state_KiB db_KiB art_KiB \
  logs_KiB scr_KiB ws_KiB logs_n scr_n
START=$SECONDS
report 0
done_runs=0
while ((done_runs < N)); do
  last=
  for ((i = 0; i < BATCH && done_runs < N; i++, done_runs++)); do
    last=$("$MLCTL" trigger soak --force)
  done
  "$MLCTL" runs wait "$last" >/dev/null 2>"$WORK/wait.err" || { cat "$WORK/wait.err" >&2; exit 1; }
  if ((done_runs % 1000 == 0)); then report "$done_runs"; fi
done
# CPU time (utime + stime, clock ticks) of the daemon and of its retention
# thread (named mlopsd-retain), from /proc.
ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "$1"; }
total=$(ticks "/proc/$LOCAL_DAEMON/stat")
retain=0
for t in /proc/"$LOCAL_DAEMON"/task/*; do
  [[ $(cat "$t/comm") == mlopsd-retain ]] && retain=$(ticks "$t/stat")
done
echo "mlopsd CPU: $total ticks, of which the retention thread $retain ($(getconf CLK_TCK) ticks/s)"

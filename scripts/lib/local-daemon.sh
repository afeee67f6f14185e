# Sourced by scripts that run a throwaway mlopsd on 127.0.0.1 in a work
# folder of their own (bench/floor.sh, scripts/gpu-check.sh). Sets WORK (a
# new folder under $TMPDIR or /tmp, named after $1) and a trap that stops
# the daemon and removes WORK on exit. Then:
#   local_daemon_start BUILD_DIR PIPELINES_DIR [mlopsd flags...]
# starts BUILD_DIR/bin/mlopsd with its state in $WORK/state and its log in
# $WORK/mlopsd.log, waits (30 s at most) for it to be ready, and exports
# MLCTL_SERVER, MLCTL_TOKEN and MLCTL_TOKEN_FILE for mlctl. It returns 1,
# with the daemon's log on stderr, if the daemon does not come up.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlops-$1.XXXXXX")
LOCAL_DAEMON=
local_daemon_cleanup() {
  if [[ -n $LOCAL_DAEMON ]]; then kill "$LOCAL_DAEMON" 2>/dev/null && wait "$LOCAL_DAEMON" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap local_daemon_cleanup EXIT

local_daemon_start() {
  local build=$1 pipelines=$2 state=$WORK/state
  shift 2
  "$build/bin/mlopsd" --state-dir "$state" --listen 127.0.0.1:0 --pipelines "$pipelines" \
    --plugin-dir "$build/plugins" "$@" </dev/null >"$WORK/mlopsd.log" 2>&1 &
  LOCAL_DAEMON=$!
  for ((t = 0; t < 600; t++)); do
    [[ -f $state/mlopsd.addr ]] && break
    sleep 0.05
  done
  if [[ ! -f $state/mlopsd.addr ]]; then
    cat "$WORK/mlopsd.log" >&2
    return 1
  fi
  export MLCTL_SERVER="http://$(cat "$state/mlopsd.addr")" MLCTL_TOKEN="" MLCTL_TOKEN_FILE=$state/admin.token
}

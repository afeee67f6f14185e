#!/usr/bin/env bash
# The floor of one chain stage (bench/stage_floor.c: a host process, a log
# file and one registry transaction per stage, in C, in one thread) against
# make -j2, the bare spawn loop and mlopsd (one forced run of the chain per
# round) on the same 1000-stage chain, interleaved in the same minutes.
# Prints per-stage times (median of the rounds) and their ratio to make.
# Not a test; about three minutes with the defaults.
#   bench/floor.sh [ROUNDS] [STAGES]        (defaults 7 and 1000)
# The build folder is $MLOPS_BUILD_DIR (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
N=${2:-1000}
BUILD_DIR=${MLOPS_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${MLOPS_BUILD_TYPE:-RelWithDebInfo} \
  -DMLOPS_BUILD_BENCH=ON >/dev/null
if ! out=$(cmake --build "$BUILD_DIR" -j "$(nproc)" \
    --target mlops_bench_spawn_loop mlops_bench_stage_floor mlopsd mlctl mlops-stage \
    mlops_plugin_exec 2>&1); then
  echo "$out" >&2
  exit 1
fi
LOOP=$BUILD_DIR/bin/mlops_bench_spawn_loop
FLOOR=$BUILD_DIR/bin/mlops_bench_stage_floor
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlops-floor.XXXXXX")
DAEMON=
cleanup() {
  if [[ -n $DAEMON ]]; then kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The benchmark's chain Makefile: sI needs s(I-1), recipe `touch sI`.
mkdir -p "$WORK/make"
{
  echo ".PHONY: all"
  echo "all: s$((N - 1))"
  for ((i = 0; i < N; i++)); do
    if ((i == 0)); then echo "s0:"; else echo "s$i: s$((i - 1))"; fi
    printf '\ttouch s%d\n' "$i"
  done
} >"$WORK/make/Makefile"

# The same chain as a pipeline of exec stages, for one mlopsd with a fresh
# state folder; its first run (every stage really run) is not timed.
mkdir -p "$WORK/pipelines"
{
  echo "version: 1"
  echo "name: chain"
  echo "stages:"
  for ((i = 0; i < N; i++)); do
    needs=""
    ((i > 0)) && needs=", needs: [s$((i - 1))]"
    echo "  - {name: s$i, uses: exec, run: \"touch s$i\", outputs: [s$i]$needs}"
  done
} >"$WORK/pipelines/chain.yaml"
STATE=$WORK/state
"$BUILD_DIR/bin/mlopsd" --state-dir "$STATE" --listen 127.0.0.1:0 --pipelines "$WORK/pipelines" \
  --plugin-dir "$BUILD_DIR/plugins" --cpus 2 </dev/null >"$WORK/mlopsd.log" 2>&1 &
DAEMON=$!
for ((t = 0; t < 600; t++)); do
  [[ -f $STATE/mlopsd.addr ]] && break
  sleep 0.05
done
if [[ ! -f $STATE/mlopsd.addr ]]; then
  cat "$WORK/mlopsd.log" >&2
  exit 1
fi
export MLCTL_SERVER="http://$(cat "$STATE/mlopsd.addr")" MLCTL_TOKEN_FILE=$STATE/admin.token
MLCTL=$BUILD_DIR/bin/mlctl
"$MLCTL" trigger chain --wait >/dev/null 2>&1

KINDS=(make spawn mlopsd floor-host floor-host-log floor-full floor-full-exec)
declare -A TIMES
run_one() {  # KIND ROUND -> ns of one run in a fresh folder
  local kind=$1 dir=$WORK/$1-$2 start end
  mkdir -p "$dir"
  start=$(date +%s%N)
  case $kind in
    make) make -s -j2 -C "$WORK/make" >/dev/null ;;
    spawn) "$LOOP" 1 "$N" "$dir" ;;
    mlopsd) "$MLCTL" trigger chain --wait --force >/dev/null 2>&1 ;;
    floor-host) "$FLOOR" "$N" "$dir" host ;;
    floor-host-log) "$FLOOR" "$N" "$dir" host-log ;;
    floor-full) "$FLOOR" "$N" "$dir" full ;;
    floor-full-exec) "$FLOOR" "$N" "$dir" full-exec ;;
  esac
  end=$(date +%s%N)
  [[ $kind == make ]] && rm -f "$WORK"/make/s[0-9]*
  echo $((end - start))
}
for ((r = 1; r <= ROUNDS; r++)); do
  for kind in "${KINDS[@]}"; do TIMES[$kind]+="$(run_one "$kind" "$r") "; done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'; }
echo "chain of $N stages, $ROUNDS rounds interleaved; $(nproc) CPUs, $(uname -r)"
echo "ms/stage: median of the rounds; x make: median (and range) of each round's ratio"
echo "to make's run in the same round"
printf '%-16s %9s %7s %12s\n' "what" "ms/stage" "x make" "range"
read -r -a make_runs <<<"${TIMES[make]}"
for kind in "${KINDS[@]}"; do
  read -r -a runs <<<"${TIMES[$kind]}"
  ratios=""
  for ((r = 0; r < ROUNDS; r++)); do
    ratios+="$(awk -v a="${runs[r]}" -v b="${make_runs[r]}" 'BEGIN {printf "%.4f", a / b}') "
  done
  ns=$(echo "${TIMES[$kind]}" | median)
  printf '%-16s %9.3f %7.2f %12s\n' "$kind" "$(awk -v ns="$ns" -v n="$N" 'BEGIN {print ns / n / 1e6}')" \
    "$(echo "$ratios" | median)" "$(echo "$ratios" | range)"
done

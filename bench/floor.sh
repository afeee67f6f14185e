#!/usr/bin/env bash
# The floor of a stage (bench/stage_floor.c: a host process, a log and a
# registry transaction per stage, in C, in one thread) against make -j2,
# the bare spawn loop and mlopsd (one forced run per round) on the
# benchmark's two DAGs (bench/dag_bench.py: a 1000-stage chain; 20 diamonds
# of width 50, 1021 stages, two stages at a time), interleaved in the same
# minutes. Prints per-stage times (median of the rounds) and each one's ratio
# to make's run in the same round, and the same for the CPU time all
# processes used (from /proc/stat: the machine should be otherwise idle).
# Not a test; about seven minutes with the defaults.
#   bench/floor.sh [ROUNDS] [chain|fan ...]       (defaults: 7, both shapes)
# The build folder is $MLOPS_BUILD_DIR (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
shift || true
SHAPES=("$@")
((${#SHAPES[@]})) || SHAPES=(chain fan)
CHAIN_STAGES=1000
FAN_DIAMONDS=20
FAN_WIDTH=50  # as in stage_floor.c and dag_bench.py
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
MLCTL=$BUILD_DIR/bin/mlctl
source scripts/lib/local-daemon.sh floor  # WORK, local_daemon_start

# The DAG as NEEDS[i] ("" or space-separated stage numbers), as dag_bench.py.
declare -a NEEDS
make_dag() {
  NEEDS=()
  if [[ $1 == chain ]]; then
    NEEDS[0]=""
    for ((i = 1; i < CHAIN_STAGES; i++)); do NEEDS[i]=$((i - 1)); done
    return
  fi
  local root=0 first join
  NEEDS[0]=""
  for ((d = 0; d < FAN_DIAMONDS; d++)); do
    first=${#NEEDS[@]}
    join=$((first + FAN_WIDTH))
    for ((i = first; i < join; i++)); do NEEDS[i]=$root; done
    NEEDS[join]=$(seq -s ' ' "$first" $((join - 1)))
    root=$join
  done
}

# For each shape: a Makefile (recipe `touch sI`, exec'd by make without a
# shell) and a pipeline of exec stages.
mkdir -p "$WORK/pipelines"
for shape in "${SHAPES[@]}"; do
  make_dag "$shape"
  n=${#NEEDS[@]}
  mkdir -p "$WORK/make-$shape"
  exec 3>"$WORK/make-$shape/Makefile" 4>"$WORK/pipelines/$shape.yaml"
  printf '.PHONY: all\nall: s%d\n' $((n - 1)) >&3
  printf 'version: 1\nname: %s\nstages:\n' "$shape" >&4
  for ((i = 0; i < n; i++)); do
    needs=""
    for d in ${NEEDS[i]}; do needs+="${needs:+ }s$d"; done
    printf 's%d:%s\n\ttouch s%d\n' "$i" "${needs:+ $needs}" "$i" >&3
    echo "  - {name: s$i, uses: exec, run: \"touch s$i\", outputs: [s$i]${needs:+, needs: [${needs// /, }]}}" >&4
  done
  exec 3>&- 4>&-
  echo "$n" >"$WORK/stages-$shape"
done

# One mlopsd with a fresh state folder; each shape's first run (every stage
# really run) is not timed.
local_daemon_start "$BUILD_DIR" "$WORK/pipelines" --cpus 2
for shape in "${SHAPES[@]}"; do "$MLCTL" trigger "$shape" --wait >/dev/null 2>&1; done

KINDS=(make spawn mlopsd floor-host floor-host-log floor-host-record floor-full floor-full-exec)
declare -A TIMES CPUS
busy_ticks() {  # CPU time of the whole machine so far, in clock ticks
  local _ user nice system idle iowait irq softirq steal
  read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}
# Every run writes to a folder of its own, and nothing is deleted before the
# end: on ext4 without a journal each new inode is checked against the
# recently deleted ones (up to 6 minutes back), so outputs removed between
# runs would slow whichever run comes next, by how many were removed.
run_one() {  # SHAPE KIND ROUND -> "ns ticks" of one run in a fresh folder
  local shape=$1 kind=$2 dir=$WORK/$1-$2-$3 start end jobs=1 size=$CHAIN_STAGES
  if [[ $shape == fan ]]; then jobs=2 size=$FAN_DIAMONDS; fi
  mkdir -p "$dir"
  ticks=$(busy_ticks)
  start=$(date +%s%N)
  case $kind in
    make) make -s -j2 -C "$dir" -f "$WORK/make-$shape/Makefile" >/dev/null ;;
    spawn) "$LOOP" "$jobs" "$(cat "$WORK/stages-$shape")" "$dir" ;;
    mlopsd) "$MLCTL" trigger "$shape" --wait --force >/dev/null 2>&1 ;;
    # The floor's records persist from round to round, as a registry does.
    floor-*) "$FLOOR" "$shape" "$size" "$dir" "${kind#floor-}" "$WORK/$kind.db" ;;
  esac
  end=$(date +%s%N)
  ticks=$(($(busy_ticks) - ticks))
  echo "$((end - start)) $ticks"
}
for ((r = 1; r <= ROUNDS; r++)); do
  for shape in "${SHAPES[@]}"; do
    for kind in "${KINDS[@]}"; do
      read -r ns ticks <<<"$(run_one "$shape" "$kind" "$r")"
      TIMES[$shape.$kind]+="$ns "
      CPUS[$shape.$kind]+="$ticks "
    done
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'; }
echo "$ROUNDS rounds interleaved; $(nproc) CPUs, $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ms/stage: median of the rounds; x make: median (and range) of each round's ratio"
echo "to make's run in the same round; cpu: CPU time of all processes, the same way"
TICK_MS=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN {print 1000 / hz}')
ratios_to_make() {  # VALUES MAKE_VALUES -> each round's ratio
  local -a a b
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  for ((r = 0; r < ROUNDS; r++)); do awk -v a="${a[r]}" -v b="${b[r]}" 'BEGIN {printf "%.4f ", (b > 0 ? a / b : 0)}'; done
}
for shape in "${SHAPES[@]}"; do
  n=$(cat "$WORK/stages-$shape")
  echo
  echo "$shape ($n stages)"
  printf '%-18s %9s %7s %12s %10s %7s %12s\n' "what" "ms/stage" "x make" "range" "cpu ms/st" "x make" "range"
  for kind in "${KINDS[@]}"; do
    wall=$(ratios_to_make "${TIMES[$shape.$kind]}" "${TIMES[$shape.make]}")
    cpu=$(ratios_to_make "${CPUS[$shape.$kind]}" "${CPUS[$shape.make]}")
    ns=$(echo "${TIMES[$shape.$kind]}" | median)
    ticks=$(echo "${CPUS[$shape.$kind]}" | median)
    printf '%-18s %9.3f %7.2f %12s %10.3f %7.2f %12s\n' "$kind" \
      "$(awk -v ns="$ns" -v n="$n" 'BEGIN {print ns / n / 1e6}')" \
      "$(echo "$wall" | median)" "$(echo "$wall" | range)" \
      "$(awk -v t="$ticks" -v ms="$TICK_MS" -v n="$n" 'BEGIN {print t * ms / n}')" \
      "$(echo "$cpu" | median)" "$(echo "$cpu" | range)"
  done
done

#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/, docs/fuzzing.md) for SECONDS each, one
# after the other, in one process each (the machine is shared), and prints
# per target the executions, the coverage (cov: edges, ft: features) and
# the crashes found. Not part of CI: scripts/test.sh only replays the
# corpora.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   default: 300 s, every target
# Targets: pipeline config webhook envelope model csv http. Seeds come from
# fuzz/corpus/TARGET (read only); inputs that reach new coverage go to
# build-fuzz/fuzz-work/TARGET/corpus, and crashing inputs (crash-*, leak-*,
# timeout-*, oom-*) to build-fuzz/fuzz-work/TARGET/. Exit status 1 when any
# target found one.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-300}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(pipeline config webhook envelope model csv http)
BUILD_DIR=${MLOPS_FUZZ_BUILD_DIR:-build-fuzz}

# MLOPS_FUZZ_NO_BUILD=1: use the targets as built (e.g. while another build
# runs in the same folder).
if [ "${MLOPS_FUZZ_NO_BUILD:-0}" != 1 ]; then
  MLOPS_FUZZ_BUILD_DIR=$BUILD_DIR scripts/build-fuzz.sh "${TARGETS[@]}"
fi

# Crashing inputs libFuzzer left in folder $1.
findings() { find "$1" -maxdepth 1 -type f -regex '.*/\(crash\|leak\|timeout\|oom\)-.*' | wc -l; }

found=0
printf '%-10s %12s %8s %8s %8s %8s\n' target executions exec/s cov ft crashes
for t in "${TARGETS[@]}"; do
  work="$BUILD_DIR/fuzz-work/$t"
  mkdir -p "$work/corpus"
  log="$work/fuzz.log"
  before=$(findings "$work")
  # -timeout: one input taking 10 s is a finding; -rss_limit_mb: so is
  # memory beyond 2 GiB. A target stops at its first finding.
  # yaml-cpp is a system library without coverage feedback, so YAML's
  # syntax comes as a dictionary (fuzz/dict); JSON's tokens shorten the
  # search through nlohmann::json (header-only, instrumented) as well.
  case "$t" in pipeline|config) dict=fuzz/dict/yaml.dict ;; *) dict=fuzz/dict/json.dict ;; esac
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$BUILD_DIR/bin/fuzz_$t" "$work/corpus" "fuzz/corpus/$t" -dict="$dict" \
      -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$work/" \
      >"$log" 2>&1 || true
  after=$(findings "$work")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  new=$((after - before))
  printf '%-10s %12s %8s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$new"
  if [ "$new" -gt 0 ]; then
    found=1
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" | sed 's/^/    /' || true
  fi
done
exit "$found"

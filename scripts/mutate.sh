#!/usr/bin/env bash
# Mutation check of the security- and correctness-relevant rules: each
# mutation below (a small planted bug: a comparison shortened, a role check
# loosened, a cache-key input dropped, a route policy row weakened, a
# signature, revocation or traversal check skipped, the coalescer keeping an
# older commit) is applied alone to the source, the targets it affects are
# rebuilt and the tests that guard it run. A mutation is "killed" when one
# of those tests fails, "survived" when all pass. Every mutation must be
# killed: the script exits 1 otherwise.
#
# Usage: scripts/mutate.sh [BUILD_DIR [ID_REGEX]]
#   BUILD_DIR  build folder (default: build); configured here when it is not
#              a CMake build folder yet (Ninja, RelWithDebInfo, ccache if found)
#   ID_REGEX   only the mutations whose id matches (grep -E)
# MLOPS_MUTATE_DRY=1 only checks that every mutation still applies.
# Not run by CI: it rebuilds and tests once per mutation (tens of minutes).
#
# The source tree is never left mutated: each mutated file is saved first and
# written back after its tests, on error, and on Ctrl-C or SIGTERM (trap).
# The restored file gets a fresh mtime, so that the next build recompiles it;
# the affected targets are rebuilt from the restored sources at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
FILTER=${2:-}
JOBS=${MLOPS_MUTATE_JOBS:-2}

# ---- The mutations ----------------------------------------------------------
# mut ID FILE "TARGETS" TEST_REGEX OLD NEW [OLD NEW ...]
# OLD must occur exactly once in FILE; each OLD/NEW pair is one replacement.
IDS=() FILES=() TARGETS=() TESTS=() EDITS=()
SEP=$'\x1f'
mut() {
  local id=$1 file=$2 targets=$3 tests=$4
  shift 4
  if (($# == 0 || $# % 2 != 0)); then
    echo "mutate.sh: mutation $id needs OLD NEW pairs" >&2
    exit 2
  fi
  local edits="" arg
  for arg in "$@"; do edits+="$arg$SEP"; done
  IDS+=("$id") FILES+=("$file") TARGETS+=("$targets") TESTS+=("$tests") EDITS+=("$edits")
}

# Webhook authentication.
T_WEBHOOK="triggers_test"
R_WEBHOOK='^(GitHubSignatureTest|GitLabTokenTest)\.'
mut hmac-compares-16-of-32-bytes daemon/triggers/webhook.cc "$T_WEBHOOK" "$R_WEBHOOK" \
  'CRYPTO_memcmp(given.data(), expected.data(), expected.size())' \
  'CRYPTO_memcmp(given.data(), expected.data(), 16)'
mut hmac-ignores-last-byte daemon/triggers/webhook.cc "$T_WEBHOOK" "$R_WEBHOOK" \
  'CRYPTO_memcmp(given.data(), expected.data(), expected.size())' \
  'CRYPTO_memcmp(given.data(), expected.data(), expected.size() - 1)'
mut hmac-check-skipped daemon/triggers/webhook.cc "$T_WEBHOOK" "$R_WEBHOOK" \
  'if (CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {' 'if (false) {'
mut gitlab-token-compares-nothing daemon/triggers/webhook.cc "$T_WEBHOOK" "$R_WEBHOOK" \
  'CRYPTO_memcmp(a.data(), b.data(), a.size())' 'CRYPTO_memcmp(a.data(), b.data(), 0)'
mut gitlab-token-empty-header-accepted daemon/triggers/webhook.cc "$T_WEBHOOK" "$R_WEBHOOK" \
  'if (header_token.empty()) return Status::PermissionDenied' \
  'if (false) return Status::PermissionDenied'

# API bearer tokens.
T_TOKENS="access_unit_test"
R_TOKENS='^(TokenStoreTest|AuthorizerTest)\.'
mut token-compare-skipped registry/src/sqlite_token_store.cc "$T_TOKENS" "$R_TOKENS" \
  '"FROM api_tokens WHERE token_sha256 = ?1",' \
  '"FROM api_tokens WHERE token_sha256 = ?1 OR 1 = 1 ORDER BY id",' \
  $'  if (stored.size() != hash.size() ||\n      CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0) {' \
  '  if (false) {'
mut token-revocation-ignored registry/src/sqlite_token_store.cc "$T_TOKENS" "$R_TOKENS" \
  'if (t.revoked_ms != 0) return refused;' 'if (t.revoked_ms < 0) return refused;'
mut role-rank-operator-is-admin registry/src/sqlite_token_store.cc "$T_TOKENS" "$R_TOKENS" \
  'if (role == "operator") return 1;' 'if (role == "operator") return 2;'

# Role checks.
mut authorizer-lets-one-rank-below daemon/api/auth.cc "access_unit_test access_e2e_test mlopsd" \
  '^(AuthorizerTest|AccessE2E\.RouteByRoleMatrix)' \
  'if (registry::RoleRank(rec.role) < AccessRank(*need)) {' \
  'if (registry::RoleRank(rec.role) + 1 < AccessRank(*need)) {'
T_MODELS="model_service_test model_routes_test"
R_MODELS='^(ModelServiceTest|ModelRoutesTest)\.'
mut production-promotion-by-operator daemon/models/model_service.cc "$T_MODELS" "$R_MODELS" \
  '} else if (req.role != "admin") {' '} else if (req.role == "viewer") {'
mut promotion-by-viewer daemon/models/model_service.cc "$T_MODELS" "$R_MODELS" \
  'if (registry::RoleRank(req.role) < registry::RoleRank("operator")) {' \
  'if (registry::RoleRank(req.role) < registry::RoleRank("viewer")) {'
mut approval-by-operator daemon/models/model_service.cc "$T_MODELS" "$R_MODELS" \
  'if (role != "admin") return Status::PermissionDenied("approving' \
  'if (role == "viewer") return Status::PermissionDenied("approving'
mut rollback-by-operator daemon/models/model_service.cc "$T_MODELS" "$R_MODELS" \
  'if (role != "admin") return Status::PermissionDenied("rollback' \
  'if (role == "viewer") return Status::PermissionDenied("rollback'
mut key-handlers-let-non-admins daemon/api/model_routes.cc "model_routes_test" '^ModelRoutesTest\.' \
  'if (req.role == "admin") return std::nullopt;' 'if (req.role != "viewer") return std::nullopt;'

# Every input of the stage cache key.
T_CACHE="scheduler_test"
R_CACHE='^(CacheKeyTest|SchedulerTest)\.'
F_CACHE=daemon/scheduler/cache_key.cc
mut cache-key-without-stage $F_CACHE "$T_CACHE" "$R_CACHE" '{"stage", parts.stage},' '{"stage", ""},'
mut cache-key-without-plugin-name $F_CACHE "$T_CACHE" "$R_CACHE" \
  '{parts.plugin_name, parts.plugin_version, parts.plugin_sha256}' \
  '{"", parts.plugin_version, parts.plugin_sha256}'
mut cache-key-without-plugin-version $F_CACHE "$T_CACHE" "$R_CACHE" \
  '{parts.plugin_name, parts.plugin_version, parts.plugin_sha256}' \
  '{parts.plugin_name, "", parts.plugin_sha256}'
mut cache-key-without-plugin-digest $F_CACHE "$T_CACHE" "$R_CACHE" \
  '{parts.plugin_name, parts.plugin_version, parts.plugin_sha256}' \
  '{parts.plugin_name, parts.plugin_version, ""}'
mut cache-key-without-params $F_CACHE "$T_CACHE" "$R_CACHE" \
  '{"params", parts.params_json},' '{"params", ""},'
mut cache-key-without-inputs $F_CACHE "$T_CACHE" "$R_CACHE" \
  '{"inputs", inputs},' '{"inputs", nlohmann::json::array()},'
mut cache-key-without-input-names $F_CACHE "$T_CACHE" "$R_CACHE" \
  '  std::sort(inputs.begin(), inputs.end());' \
  $'  std::sort(inputs.begin(), inputs.end());\n  for (auto& in : inputs) in.first.clear();'
mut cache-key-without-upstream $F_CACHE "$T_CACHE" "$R_CACHE" \
  '{"upstream", parts.upstream_keys},' '{"upstream", nlohmann::json::array()},'
mut cache-key-without-commit $F_CACHE "$T_CACHE" "$R_CACHE" '{"commit", parts.commit},' '{"commit", ""},'
mut scheduler-drops-plugin-digest daemon/scheduler/scheduler.cc "$T_CACHE" "$R_CACHE" \
  '  key.plugin_sha256 = plugin.sha256;' ''

# Signatures, revocation and the checks of a model version.
T_SIGN="signing_test"
R_SIGN='^(SigningTest|DirectoryTest|Pae|Statement|SubjectNames)\.'
mut signature-result-ignored signing/src/keys.cc "$T_SIGN" "$R_SIGN" '  if (rc != 1) {' '  if (rc < 0) {'
mut revoked-key-accepted signing/src/envelope.cc "$T_SIGN $T_MODELS" "$R_SIGN|$R_MODELS" \
  'if (v.ok() && k.revoked) {' 'if (v.ok() && false) {'
mut model-file-rehash-skipped daemon/models/model_service.cc "$T_MODELS" "$R_MODELS" \
  $'    if (sha != s.sha256) {\n      return fail(' $'    if (false) {\n      return fail('
mut model-manifest-of-another-artifact daemon/models/model_service.cc "$T_MODELS" "$R_MODELS" \
  '  if (!covers) {' '  if (false) {'
mut unsigned-version-promoted daemon/models/model_service.cc "$T_MODELS" "$R_MODELS" \
  '  if (v.envelope_sha256.empty()) {' '  if (false) {'
mut published-file-change-unnoticed daemon/models/stable_path.cc "$T_MODELS" "$R_MODELS" \
  $'    if (sha != s.sha256) {\n      *problem' $'    if (false) {\n      *problem'
mut deployed-file-hard-linked daemon/models/stable_path.cc "$T_MODELS" "$R_MODELS" \
  '  const bool cloned = ::ioctl(out, FICLONE, in) == 0 && ::fsync(out) == 0;' \
  '  ::unlink(dest.c_str()); const bool cloned = ::link(src.c_str(), dest.c_str()) == 0;'

# Traversal checks.
mut subject-name-dotdot-accepted signing/src/subjects.cc "$T_SIGN $T_MODELS" "$R_SIGN|$R_MODELS" \
  'if (part == "..") return bad(' 'if (part == "...") return bad('
mut subject-name-absolute-accepted signing/src/subjects.cc "$T_SIGN $T_MODELS" "$R_SIGN|$R_MODELS" \
  "if (name[0] == '/') return bad(" 'if (false) return bad('
mut api-path-dot-segments-accepted daemon/api/http.cc "access_unit_test" '^(CanonicalPath|AuthorizerTest)' \
  'if (seg == "." || seg == "..") return' 'if (false) return'
mut model-name-leading-dot-accepted registry/src/sqlite_model_registry.cc \
  "model_registry_test model_routes_test" '^(ModelNames|ModelRegistryTest|ModelRoutesTest)\.' \
  '&& name.size() <= 64 && Alnum(name[0]);' '&& name.size() <= 64;'

# The coalescer: one trigger per burst, for the newest commit.
R_COAL='^(CoalescerTest|CoalescerZeroWindowTest)\.'
mut coalescer-keeps-older-commit daemon/triggers/coalescer.cc "triggers_test" "$R_COAL" \
  $'  p.commit = commit;\n  p.origin = origin;\n  return replaced;' \
  $'  p.commit = replaced;\n  p.origin = origin;\n  return replaced;'
mut coalescer-window-from-last-report daemon/triggers/coalescer.cc "triggers_test" "$R_COAL" \
  '  ++p.reports;' $'  ++p.reports;\n  p.due = now + window_;'

# Every route policy row, weakened one step (admin -> operator -> viewer ->
# public; webhook -> viewer; public -> viewer), and the row the issue planted
# (revoking a trusted key by a viewer). The guard is the role matrix against
# the real daemon, whose expectations are written out in the test.
T_ROUTES="mlopsd access_e2e_test"
R_ROUTES='^AccessE2E\.(RouteByRoleMatrix|ExpectedAccessCoversEveryPolicyRow)$'
F_ROUTES=daemon/api/route_policy.cc
weaker() {
  case $1 in
    kAdmin) echo kOperator ;; kOperator) echo kViewer ;; kViewer) echo kPublic ;;
    kWebhook) echo kViewer ;; kPublic) echo kViewer ;;
  esac
}
while IFS= read -r row; do
  access=${row##*Access::}
  access=${access%\}*}
  method=${row#\{\"}
  method=${method%%\"*}
  pattern=${row#*\", \"}
  pattern=${pattern%%\"*}
  id="route-$method-$(echo "$pattern" | sed 's#^/api/v1/##; s#^/##; s#[{}]##g; s#/#-#g')-$(weaker "$access")"
  mut "$id" $F_ROUTES "$T_ROUTES" "$R_ROUTES" "$row" "${row/Access::$access/Access::$(weaker "$access")}"
done < <(grep -o '{"[A-Z]*", "[^"]*", Access::k[A-Za-z]*}' $F_ROUTES)
mut route-POST-keys-id-revoke-kViewer $F_ROUTES "$T_ROUTES" "$R_ROUTES" \
  '{"POST", "/api/v1/keys/{id}/revoke", Access::kAdmin}' \
  '{"POST", "/api/v1/keys/{id}/revoke", Access::kViewer}'

# ---- Running them -----------------------------------------------------------
ACTIVE_FILE="" BACKUP=""
restore() {
  if [[ -n $ACTIVE_FILE ]]; then
    # Written through (not renamed), with a fresh mtime: the build sees it.
    cat "$BACKUP" >"$ACTIVE_FILE"
    ACTIVE_FILE=""
  fi
}
WORK=$(mktemp -d)
cleanup() {
  restore
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'cleanup; echo "mutate.sh: interrupted; sources restored" >&2; exit 130' INT TERM

# Replaces each OLD of the \x1f-separated pairs in FILE; fails unless each
# occurs exactly once.
apply_edits() {
  python3 - "$1" "$2" <<'EOF'
import sys
path, edits = sys.argv[1], sys.argv[2].split("\x1f")[:-1]
text = open(path).read()
for old, new in zip(edits[0::2], edits[1::2]):
    n = text.count(old)
    if n != 1:
        sys.exit(f"{path}: the text to mutate occurs {n} times, not once:\n{old}")
    text = text.replace(old, new)
open(path, "w").write(text)
EOF
}

# MLOPS_MUTATE_DRY=1: only check that each mutation applies (to a copy).
if [[ ${MLOPS_MUTATE_DRY:-0} == 1 ]]; then
  bad=0
  for i in "${!IDS[@]}"; do
    cp "${FILES[$i]}" "$WORK/dry"
    if apply_edits "$WORK/dry" "${EDITS[$i]}"; then
      echo "applies   ${IDS[$i]}  (${FILES[$i]}; tests ${TESTS[$i]})"
    else
      echo "BROKEN    ${IDS[$i]}"
      bad=$((bad + 1))
    fi
  done
  echo "mutations: ${#IDS[@]}, not applying: $bad"
  exit $((bad > 0))
fi

if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  echo "== configuring $BUILD_DIR"
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
fi

selected=()
for i in "${!IDS[@]}"; do
  if [[ -z $FILTER ]] || grep -qE "$FILTER" <<<"${IDS[$i]}"; then selected+=("$i"); fi
done
((${#selected[@]} > 0)) || { echo "mutate.sh: no mutation matches '$FILTER'" >&2; exit 2; }

declare -A all_targets=()
regexes=()
for i in "${selected[@]}"; do
  for t in ${TARGETS[$i]}; do all_targets[$t]=1; done
  regexes+=("${TESTS[$i]}")
done
run_tests() {  # REGEX LOG -> ctest's status
  ctest --test-dir "$BUILD_DIR" -R "$1" --no-tests=error -j "$JOBS" --timeout 300 >"$2" 2>&1
}

# Unmutated, the guarding tests must pass: otherwise nothing can be judged.
echo "== baseline: building ${!all_targets[*]}"
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${!all_targets[@]}" >"$WORK/build.log" 2>&1 ||
  { tail -40 "$WORK/build.log"; echo "mutate.sh: the unmutated build fails" >&2; exit 2; }
# (One ctest call per distinct regex: ctest's regular expressions allow few
# parentheses.)
echo "== baseline: running the guarding tests"
while IFS= read -r regex; do
  if ! run_tests "$regex" "$WORK/baseline.log"; then
    tail -20 "$WORK/baseline.log"
    echo "mutate.sh: the guarding tests ($regex) fail without a mutation" >&2
    exit 2
  fi
done < <(printf '%s\n' "${regexes[@]}" | sort -u)

killed=0 survived=0 broken=0
survivors=()
for i in "${selected[@]}"; do
  id=${IDS[$i]} file=${FILES[$i]}
  BACKUP="$WORK/backup"
  cp "$file" "$BACKUP"
  ACTIVE_FILE=$file
  if ! apply_edits "$file" "${EDITS[$i]}" 2>"$WORK/apply.log"; then
    restore
    cat "$WORK/apply.log" >&2
    echo "BROKEN    $id (the mutation no longer applies)"
    broken=$((broken + 1))
    continue
  fi
  start=$SECONDS
  # shellcheck disable=SC2086
  if ! cmake --build "$BUILD_DIR" -j "$JOBS" --target ${TARGETS[$i]} >"$WORK/build.log" 2>&1; then
    restore
    echo "BROKEN    $id (the mutant does not compile)"
    grep -m5 "error:" "$WORK/build.log" >&2 || true
    broken=$((broken + 1))
    continue
  fi
  if run_tests "${TESTS[$i]}" "$WORK/test.log"; then
    echo "SURVIVED  $id  ($((SECONDS - start)) s)"
    survived=$((survived + 1))
    survivors+=("$id")
  else
    by=$(grep -oE '[0-9]+ - [A-Za-z0-9_./]+ \((Failed|Timeout|SEGFAULT|Subprocess aborted)' "$WORK/test.log" |
         sed -E 's/^[0-9]+ - //; s/ \(.*//' | head -3 | paste -sd, -)
    echo "killed    $id  ($((SECONDS - start)) s; by ${by:-?})"
    killed=$((killed + 1))
  fi
  restore
done

echo "== rebuilding the unmutated targets"
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${!all_targets[@]}" >"$WORK/build.log" 2>&1 ||
  echo "mutate.sh: rebuilding the unmutated targets failed (see the build)" >&2
total=$((killed + survived + broken))
echo "mutations: $total, killed: $killed, survived: $survived, broken: $broken"
for s in "${survivors[@]}"; do echo "  survived: $s"; done
((survived == 0 && broken == 0))

#!/usr/bin/env bash
# Installs the npm packages the build and the tests use into .tools/node
# (ignored by git), each pinned:
# - gitlab-ci-local validates the GitLab CI files offline against GitLab's
#   schema; 4.62.0 is the newest that runs on Node 20 (later releases use
#   Set.prototype.union, Node 22).
# - playwright-core drives Debian's chromium in the dashboard's browser tests
#   (it downloads no browser of its own).
# - uplot (charts) and @dagrejs/dagre (graph layout) are copied into the
#   dashboard at build time (dashboard/CMakeLists.txt, docs/dashboard.md).
# Idempotent; needs node and npm (scripts/install-deps.sh installs Debian's
# when none is on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="$PWD/.tools/node"
PACKAGES=(gitlab-ci-local@4.62.0 playwright-core@1.65.2 uplot@1.6.32 @dagrejs/dagre@3.1.4)
missing=0
for spec in "${PACKAGES[@]}"; do
  name=${spec%@*}
  want=${spec##*@}
  have=$(node -p "require('$PREFIX/node_modules/$name/package.json').version" 2>/dev/null || true)
  if [ "$have" != "$want" ]; then missing=1; fi
done
if [ "$missing" = 0 ] && [ -x "$PREFIX/node_modules/.bin/gitlab-ci-local" ]; then
  exit 0
fi
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "${PACKAGES[@]}"
"$PREFIX/node_modules/.bin/gitlab-ci-local" --version >/dev/null

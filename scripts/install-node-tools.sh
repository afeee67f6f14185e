#!/usr/bin/env bash
# Installs the npm tools the tests use into .tools/node (ignored by git):
# gitlab-ci-local validates the GitLab CI files offline against GitLab's
# schema. Pinned: 4.62.0 is the newest that runs on Node 20 (later releases
# use Set.prototype.union, Node 22). Idempotent; needs node and npm
# (scripts/install-deps.sh installs Debian's when none is on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="$PWD/.tools/node"
VERSION=4.62.0
installed=$(node -p "require('$PREFIX/node_modules/gitlab-ci-local/package.json').version" 2>/dev/null || true)
if [ "$installed" = "$VERSION" ] && [ -x "$PREFIX/node_modules/.bin/gitlab-ci-local" ]; then
  exit 0
fi
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "gitlab-ci-local@$VERSION"
"$PREFIX/node_modules/.bin/gitlab-ci-local" --version >/dev/null

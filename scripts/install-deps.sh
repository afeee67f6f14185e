#!/usr/bin/env bash
# Installs every Debian 12 package the build, the demo and the tests need.
# Idempotent: apt-get skips what is already installed. clang and its
# runtime (libFuzzer, only recommended by clang) build the fuzz targets;
# chromium runs the dashboard's browser tests (headless).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libboost-dev libboost-filesystem-dev
  libgit2-dev libsqlite3-dev sqlite3 libyaml-cpp-dev
  libcivetweb-dev civetweb libssl-dev openssl
  libtbb-dev libgtest-dev libgmock-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libsystemd-dev
  python3 python3-sklearn python3-numpy python3-scipy python3-torch
  libtorch-dev zlib1g-dev
  snakemake make
  prometheus systemd
  wrk prometheus-cpp-dev
  clang libclang-rt-14-dev
  chromium
)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
# Node.js for the npm tools: Debian's only when none is installed (nodesource
# builds bring their own npm and conflict with Debian's npm package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
"$(dirname "$0")/install-node-tools.sh"

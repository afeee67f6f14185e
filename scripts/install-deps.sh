#!/usr/bin/env bash
# Installs every Debian 12 package the build, the demo and the tests need.
# Idempotent: apt-get skips what is already installed.
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
  python3 python3-sklearn python3-numpy
  snakemake make
)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

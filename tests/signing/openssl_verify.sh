#!/bin/bash
# Verifies a DSSE envelope's Ed25519 signature with nothing but jq, coreutils
# and the openssl command line: the commands docs/signing.md documents.
# Usage: openssl_verify.sh ENVELOPE PUBLIC_KEY_PEM WORK_DIR
set -euo pipefail
env_file=$1 pub=$2 work=$3
cd "$work"
jq -r .payload "$env_file" | base64 -d > payload.bin
jq -r '.signatures[0].sig' "$env_file" | base64 -d > sig.bin
TYPE=$(jq -r .payloadType "$env_file")
{ printf 'DSSEv1 %d %s %d ' "${#TYPE}" "$TYPE" "$(stat -c %s payload.bin)"; cat payload.bin; } > pae.bin
openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in pae.bin -sigfile sig.bin

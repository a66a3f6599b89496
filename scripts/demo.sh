#!/usr/bin/env bash
# `npm run demo`: the example app (examples/demo-app) gets its secrets from the committed
# `demo` environment through `hako run --via fd3`. The demo passphrase is public (README),
# so nothing needs setting up: an empty key store, the passphrase in the environment.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hako() { node "$root/build/cli/hako.mjs" "$@"; }
HAKO_HOME=$(mktemp -d); export HAKO_HOME; trap 'rm -rf "$HAKO_HOME"' EXIT
export HAKO_PASSPHRASE_DEMO='hako-demo-passphrase'
cd "$root/examples/demo-app"
echo '$ hako typegen --check --out hako-secrets.ts'
hako typegen --check --out hako-secrets.ts
echo '$ hako run --env demo --via fd3 -- node demo.js'
hako run --env demo --via fd3 -- node "$root/build/examples/demo-app/demo.js"

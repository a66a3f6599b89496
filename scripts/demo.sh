#!/usr/bin/env bash
# A tour of the main job in a throwaway git repository: encrypt, list, share a key, read it back.
set -euo pipefail
HAKO="node $(cd "$(dirname "$0")/.." && pwd)/build/cli/hako.mjs"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export HAKO_HOME="$work/home-alice"
cd "$work" && mkdir app && cd app && git init -q
set -x
$HAKO init
printf %s 'postgres://app:s3cret@db/app' | $HAKO set DATABASE_URL
printf %s 'sk_live_demo' | $HAKO set STRIPE_KEY --env production
$HAKO ls
cat .hako/secrets.json
$HAKO key export --env production > "$work/bundle"
HAKO_HOME="$work/home-bob" $HAKO key import < "$work/bundle"
HAKO_HOME="$work/home-bob" $HAKO get STRIPE_KEY --env production
HAKO_KEY="$(cat "$work/bundle")" HAKO_HOME="$work/empty" $HAKO export --env production --format shell

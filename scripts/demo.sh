#!/usr/bin/env bash
# `npm run demo`: on a fresh machine, install what is missing, bring the local stack up and run the hello example.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@temporalio/worker ] || npm install --no-audit --no-fund
npx tsc -p tsconfig.json
node bin/steward.js dev --detach
node bin/steward.js run examples/hello.yaml --tenant demo --input '{"name":"Ada"}' --wait

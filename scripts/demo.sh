#!/usr/bin/env bash
# `npm run demo`: on a fresh machine, install what is missing, bring the local stack up and run the hello example,
# then the expense example for alice (a model reviews it with PII masked; the submit step acts with a delegated token).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@temporalio/worker ] || npm install --no-audit --no-fund
npx tsc -p tsconfig.json
node bin/steward.js dev --detach
node bin/steward.js run examples/hello.yaml --tenant demo --input '{"name":"Ada"}' --wait
node bin/steward.js run examples/expense-approval.yaml --tenant demo --wait \
  --user-token "$(node bin/steward.js dev token mint --user alice)" \
  --input '{"amount": 250, "description": "Team lunch, booked with jane.roe@example.com"}'

#!/usr/bin/env bash
# `npm test`: type-check and build (the CLI and worker processes under test run the built code), lint, then jest
# against the real local stack, which the jest global setup brings up (or reuses) and tears down.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
npx eslint .
status=0
npx jest --json --outputFile=.jest-results.json "$@" || status=$?
# One plain closing line, whatever jest's own summary looks like.
node -e "const r = require('./.jest-results.json'); console.log('jest: ' + r.numPassedTests + ' passed, ' + r.numFailedTests + ' failed' + (r.numPendingTests ? ', ' + r.numPendingTests + ' skipped' : ''))" || true
exit "$status"

#!/usr/bin/env bash
# `npm test`: type-check and build (the CLI and worker processes under test run the built code), lint, check for
# import cycles, then jest against the real local stack, which the jest global setup brings up (or reuses) and
# tears down.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
# lint also keeps src/ off dev-server/ and (outside the worker) activities/, and workflows/ on pure modules
npx eslint .
# no import cycle anywhere, type-only imports included
npx dpdm --no-warning --no-tree --exit-code circular:1 'src/**/*.ts' 'workflows/**/*.ts' 'activities/**/*.ts' 'dev-server/**/*.ts' 'scripts/**/*.ts' 'test/**/*.ts'
status=0
npx jest --json --outputFile=.jest-results.json "$@" || status=$?
# One plain closing line, whatever jest's own summary looks like.
node -e "const r = require('./.jest-results.json'); console.log('jest: ' + r.numPassedTests + ' passed, ' + r.numFailedTests + ' failed' + (r.numPendingTests ? ', ' + r.numPendingTests + ' skipped' : ''))" || true
exit "$status"

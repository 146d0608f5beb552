#!/usr/bin/env bash
# `npm test`: type-check and build (the CLI and worker processes under test run the built code), lint, then jest
# against the real local stack, which the jest global setup brings up (or reuses) and tears down.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
npx eslint .
npx jest "$@"

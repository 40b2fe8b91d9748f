#!/usr/bin/env bash
# `npm test`: install what is missing, start the services (idempotent), run every test suite.
# Extra arguments go to jest (e.g. `npm test -- test/status`).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/ensure-deps.sh
# The dashboard's browser tests drive Debian's Chromium.
bash infra/scripts/ensure-chromium.sh
node bin/tdb.js services start
exec npx jest "$@"

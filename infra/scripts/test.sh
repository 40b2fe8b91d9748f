#!/usr/bin/env bash
# `npm test`: install what is missing and build (ensure-deps.sh), run the unit tests (no service),
# start the services (idempotent), run the integration tests. Each Jest project prints its own
# summary and time. `npm run test:unit` (`--unit`) stops after the unit tests and starts nothing.
# Extra arguments go to jest (e.g. `npm test -- test/status`; a project with no matching test is
# then skipped, not failed).
set -euo pipefail
cd "$(dirname "$0")/../.."
unit_only=0
if [ "${1:-}" = "--unit" ]; then
  unit_only=1
  shift
fi
bash infra/scripts/ensure-deps.sh
filter=()
[ $# -gt 0 ] && filter=(--passWithNoTests)
started=$(date +%s)
npx jest "${filter[@]}" "$@" --selectProjects unit
echo "unit tests: $(($(date +%s) - started)) s" >&2
[ "$unit_only" = 1 ] && exit 0
# The dashboard's browser tests (integration) drive Debian's Chromium.
bash infra/scripts/ensure-chromium.sh
node bin/tdb.js services start
started=$(date +%s)
npx jest "${filter[@]}" "$@" --selectProjects integration
echo "integration tests: $(($(date +%s) - started)) s" >&2

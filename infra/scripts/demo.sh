#!/usr/bin/env bash
# `npm run demo`: install what is missing, start the services and the platform, stream a
# realistic national sample through the real pipeline, print the indicators and the API's URL.
# Arguments go to `tdb demo` (e.g. `npm run demo -- --apprenants 50000`).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/ensure-deps.sh
exec node bin/tdb.js demo "$@"

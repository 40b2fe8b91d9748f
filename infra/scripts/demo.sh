#!/usr/bin/env bash
# `npm run demo`: install what is missing, start the services and the platform, stream a
# realistic national sample through the real pipeline, print the indicators and the API's URL.
# Arguments go to `tdb demo` (e.g. `npm run demo -- --apprenants 50000`).
set -euo pipefail
cd "$(dirname "$0")/../.."
# Referential files given by path must exist: say so now, before installing and starting anything.
for var in TDB_ORGANISMES_CSV TDB_ZONES_EMPLOI_CSV TDB_MISSIONS_LOCALES_CSV; do
  file="${!var:-}"
  if [ -n "$file" ] && [ ! -f "$file" ]; then
    echo "demo: $var=$file: no such file (relative paths are read from $(pwd))" >&2
    exit 2
  fi
done
bash infra/scripts/ensure-deps.sh
exec node bin/tdb.js demo "$@"

#!/usr/bin/env bash
# Installs the Node dependencies when they are missing or older than package-lock.json
# (so that `npm test` and `npm run demo` work right after a fresh clone).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "… installing Node dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

#!/usr/bin/env bash
# Installs the Node dependencies when they are missing or older than package-lock.json, and builds
# the dashboard's pages (dist/dashboard, git-ignored) when a source is newer than the output
# (so that `npm test` and `npm run demo` work right after a fresh clone).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "… installing Node dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ ! -f dist/dashboard/index.html ] ||
  [ -n "$(find api/dashboard package-lock.json -newer dist/dashboard/index.html -print -quit)" ]; then
  echo "… building the dashboard's pages (npm run build:dashboard)" >&2
  npx tsx api/dashboard/build.ts
fi

#!/usr/bin/env bash
# Installs the Node dependencies when they are missing or older than package-lock.json, then builds
# dist/ when a source is newer than the build (infra/scripts/build.sh --if-stale), so that
# `npm test`, `npm run demo` and `tdb` work right after a fresh clone and never run a stale build.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "… installing Node dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
bash infra/scripts/build.sh --if-stale

#!/usr/bin/env bash
# `npm run build`: compiles the platform (tsconfig.build.json) into dist/ and copies the files read
# at run time by path (migrations, Avro schemas, referential CSVs, connector mappings, the worker
# entry) beside the compiled code, so that dist/ runs on its own. With --if-stale, builds only when
# a source is newer than the last build (dist/.build-stamp), or when there is no build (READMEs do
# not count).
set -euo pipefail
cd "$(dirname "$0")/../.."
SOURCES=(connectors streams api schemas infra bin)
# One build at a time (test workers may ask together): the others wait, then find it fresh.
mkdir -p .cache
exec 9>.cache/build.lock
flock 9
if [ "${1:-}" = "--if-stale" ] && [ -f dist/.build-stamp ] &&
  [ -z "$(find "${SOURCES[@]}" tsconfig.json tsconfig.build.json package-lock.json -newer dist/.build-stamp -type f ! -name '*.md' -print -quit)" ]; then
  exit 0
fi
echo "… building dist/ (tsc -p tsconfig.build.json)" >&2
started=$(date +%s)
# The stamp is the time the build started: a source edited during the build makes it stale again.
touch .cache/build-stamp.tmp
rm -rf dist
node_modules/.bin/tsc -p tsconfig.build.json
find "${SOURCES[@]}" -type f ! -name '*.ts' ! -name '*.md' ! -name '*.sh' ! -path 'bin/tdb.js' -print0 |
  xargs -0 cp --parents -t dist
# The dashboard's pages (browser code: esbuild, not tsc) into dist/dashboard.
node_modules/.bin/tsx api/dashboard/build.ts
mv .cache/build-stamp.tmp dist/.build-stamp
echo "✓ dist/ built in $(($(date +%s) - started)) s" >&2

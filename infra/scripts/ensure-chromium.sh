#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing: the dashboard's browser tests and bench drive it
# (playwright-core, executablePath /usr/bin/chromium or TDB_CHROMIUM). Needs root for apt-get;
# otherwise says what to install and exits 1.
set -euo pipefail
chromium="${TDB_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $chromium is missing; install Debian's chromium (apt-get install -y chromium) or set TDB_CHROMIUM" >&2
  exit 1
fi
echo "… installing chromium (apt-get)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2

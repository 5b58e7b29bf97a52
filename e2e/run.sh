#!/usr/bin/env bash
# Real-browser tests of the console: builds wardwatch if needed, installs playwright-core from
# package-lock.json, and drives Debian's /usr/bin/chromium (never a downloaded browser) against
# a real `wardwatch serve`. Screenshots go to e2e/screenshots/.
#
#   WARDWATCH_E2E_PROFILE=release  use (and build) target/release/wardwatch instead of debug
#   WARDWATCH_BIN=/path/wardwatch  use this binary, build nothing
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "no ${CHROMIUM:-/usr/bin/chromium}: install Debian's chromium (apt-get install -y chromium)" >&2
  exit 1
fi
command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are required" >&2; exit 1; }

if [ -z "${WARDWATCH_BIN:-}" ]; then
  profile="${WARDWATCH_E2E_PROFILE:-debug}"
  if [ "$profile" = release ]; then
    cargo build --release --locked -q -p wardwatch
  else
    cargo build --locked -q -p wardwatch
  fi
  export WARDWATCH_BIN="$PWD/target/$profile/wardwatch"
fi

cd e2e
# Playwright must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error
node --test --test-concurrency=1 tests/

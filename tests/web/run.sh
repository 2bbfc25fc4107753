#!/usr/bin/env bash
# Browser tests of web/crowd (Plumbline's crowd HTML elements).
# Needs node >= 20, `npm ci` at the repo root (playwright-core) and /usr/bin/chromium
# (override with CHROMIUM=...). Shared data: ../shared or PLUMBLINE_SHARED_DIR.
# portal.test.mjs (the worker portal end to end) also runs a real server,
# build/plumbline or PLUMBLINE_BINARY, and Debian's /usr/bin/aws; it skips when
# either is missing. console.test.mjs (the admin console end to end),
# portal-ner.test.mjs, portal-prefetch.test.mjs (the next task's image fetched ahead)
# and portal-boxes.test.mjs (a BoundingBox job drawn in the
# portal's sandboxed frame) need the same two.
# Prints "N passed, M failed" and exits non-zero on any failure. The whole
# run is cut at 9 minutes (portal, console and drawing runs with a real server each; a loaded
# 2-core machine).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund >/dev/null 2>&1 || { echo "tests/web: npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "tests/web: chromium not found (apt-get install -y chromium)"; echo "0 passed, 1 failed"; exit 1
fi
mkdir -p tests/web/screenshots
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
timeout 540 node --test --test-concurrency=3 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  tests/web/*.test.mjs
rc=$?
pass=$(grep -E '^# pass ' "$tap" | awk '{s+=$3} END {print s+0}')
fail=$(grep -E '^# fail ' "$tap" | awk '{s+=$3} END {print s+0}')
skip=$(grep -E '^# skipped ' "$tap" | awk '{s+=$3} END {print s+0}')
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "$pass passed, $fail failed ($skip skipped)"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]

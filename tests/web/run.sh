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
# run is cut at 15 minutes (portal, console and drawing runs with a real server each; a loaded
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
spec=$(mktemp)
trap 'rm -f "$tap" "$spec"' EXIT
cut="${PLUMBLINE_BROWSER_CUT:-900}"
timeout "$cut" node --test --test-concurrency=3 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  tests/web/*.test.mjs | tee "$spec"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 124 ]; then
  # Cut before node printed its totals: count what finished from the spec
  # report; whatever was still running counts as one failure.
  echo "tests/web: cut after $cut s (PLUMBLINE_BROWSER_CUT) before every test had finished"
  pass=$(grep -cE '^\s*✔ ' "$spec")
  fail=$(( $(grep -cE '^\s*✖ ' "$spec") + 1 ))
  skip=0
else
  pass=$(grep -E '^# pass ' "$tap" | awk '{s+=$3} END {print s+0}')
  fail=$(grep -E '^# fail ' "$tap" | awk '{s+=$3} END {print s+0}')
  skip=$(grep -E '^# skipped ' "$tap" | awk '{s+=$3} END {print s+0}')
fi
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "$pass passed, $fail failed ($skip skipped)"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]

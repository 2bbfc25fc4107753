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
# Prints "N passed, M failed" and exits non-zero on any failure. The first
# pass is cut at 15 minutes (portal, console and drawing runs with a real server each; a loaded
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
pass=0 fail=0 skip=0

# One node --test pass: run_pass CUT_SECONDS NODE_TEST_ARGS... adds its
# counts to pass, fail and skip.
run_pass() {
  local cut=$1; shift
  : >"$tap"; : >"$spec"
  timeout "$cut" node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "$@" | tee "$spec"
  local rc=${PIPESTATUS[0]} p f s
  if [ "$rc" -eq 124 ]; then
    # Cut before node printed its totals: count what finished from the spec
    # report; whatever was still running counts as one failure.
    echo "tests/web: cut after $cut s before every test had finished"
    p=$(grep -cE '^\s*✔ ' "$spec")
    f=$(( $(grep -cE '^\s*✖ ' "$spec") + 1 ))
    s=0
  else
    p=$(grep -E '^# pass ' "$tap" | awk '{s+=$3} END {print s+0}')
    f=$(grep -E '^# fail ' "$tap" | awk '{s+=$3} END {print s+0}')
    # Tests a pass leaves to the other one are not counted as skipped.
    s=$(( $(grep -E '^# skipped ' "$tap" | awk '{s+=$3} END {print s+0}') \
          - $(grep -cE '# SKIP (test name does not match pattern|deferred to the serial frame-time pass)' "$tap") ))
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# Everything but the frame-time tests, three files at a time; then the
# frame-time tests (named "frame times ...", see frameTimesTest in lib.mjs)
# one file at a time, so that no other browser or server shares the two
# cores with the draws they time.
cut="${PLUMBLINE_BROWSER_CUT:-900}"
PLUMBLINE_FRAME_TIMES=later run_pass "$cut" --test-concurrency=3 tests/web/*.test.mjs
mapfile -t timed < <(grep -l "^frameTimesTest(" tests/web/*.test.mjs)
if [ "${#timed[@]}" -gt 0 ]; then
  echo "tests/web: frame-time tests, one file at a time"
  run_pass 300 --test-concurrency=1 --test-name-pattern='^frame times' "${timed[@]}"
fi
echo "$pass passed, $fail failed ($skip skipped)"
[ "$fail" -eq 0 ]

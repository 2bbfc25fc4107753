#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test run: installs what
# is missing, builds, runs the C++ and end-to-end tests (ctest) and the browser
# tests. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
# Test tools from npm (playwright-core, s3rver, the AWS SDK v3 clients), pinned by package-lock.json.
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
scripts/build.sh

status=0
start=$(date +%s)
ctest --test-dir build --output-on-failure -j "$(nproc)" || status=1
if [[ -x tests/web/run.sh ]]; then
  tests/web/run.sh || status=1
fi
echo "test suite finished in $(( $(date +%s) - start )) s"
exit $status

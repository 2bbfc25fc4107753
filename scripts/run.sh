#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running Plumbline:
# installs what is missing, builds, and serves with the embedded defaults
# (SQLite + local buckets in ./plumbline-data, http://127.0.0.1:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/plumbline serve --demo --data-dir "${PLUMBLINE_DATA_DIR:-./plumbline-data}" \
  --listen "${PLUMBLINE_LISTEN:-127.0.0.1:8080}" "$@"

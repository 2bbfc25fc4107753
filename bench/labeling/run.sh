#!/usr/bin/env bash
# Manifest ingest: CreateLabelingJob -> InProgress for 100k and 1M lines, each
# in its own process so that peak RSS is per size. Needs a Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build.sh >/dev/null
for n in 100000 1000000; do build/bench/labeling/ingest_bench "$n"; done

#!/usr/bin/env bash
# Compares Plumbline's Liquid render throughput with liquidjs (renderSync) on
# the same templates and contexts. Parse once, render many; prints renders/s
# and the ratio per case.
#
# Usage: bench/liquid/run.sh [SECONDS_PER_CASE]
# Env:   BUILD_DIR (default: <repo>/build-bench-liquid, a Release build)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
shared="$repo/../shared"
secs="${1:-2}"
build="${BUILD_DIR:-$repo/build-bench-liquid}"

if [ ! -x "$build/bench/liquid/liquid_bench" ] || [ -n "${REBUILD:-}" ]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DPLUMBLINE_BUILD_TESTS=OFF -DPLUMBLINE_BUILD_BENCH=ON >/dev/null
fi
cmake --build "$build" --target liquid_bench -j2 >/dev/null

if [ ! -d "$here/node_modules/liquidjs" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1)
fi

cases=("$here/cases/worker.liquid:$here/cases/worker.json")
# Two corpus templates with synthetic inputs.
corpus="$shared/data/templates/amazon-sagemaker-ground-truth-task-uis"
if [ -d "$corpus" ]; then
  cases+=("$corpus/images/bounding-box.liquid.html:$here/cases/corpus.json")
  cases+=("$corpus/text/translation-review-and-correction.liquid.html:$here/cases/corpus.json")
fi

printf '%-52s %14s %14s %14s %8s\n' case plumbline-gt plumbline-shop liquidjs ratio
for c in "${cases[@]}"; do
  tmpl="${c%%:*}"; ctx="${c#*:}"
  gt=$("$build/bench/liquid/liquid_bench" "$tmpl" "$ctx" "$secs" gt)
  shop=$("$build/bench/liquid/liquid_bench" "$tmpl" "$ctx" "$secs" shopify)
  js=$(node "$here/bench.mjs" "$tmpl" "$ctx" "$secs")
  python3 - "$tmpl" "$gt" "$shop" "$js" <<'PY'
import json, os, sys
name = os.path.basename(sys.argv[1])
gt, shop, js = (json.loads(x) for x in sys.argv[2:5])
print(f"{name:52s} {gt['per_sec']:12.0f}/s {shop['per_sec']:12.0f}/s {js['per_sec']:12.0f}/s "
      f"{gt['per_sec'] / js['per_sec']:7.1f}x")
PY
done

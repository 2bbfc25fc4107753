#!/usr/bin/env bash
# Builds the Liquid libFuzzer target with clang (ASan + UBSan) in its own
# build dir and runs it. Seeds: the golden-liquid templates and the template
# corpus. Usage: scripts/fuzz_liquid.sh [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="$repo/../shared"
secs="${1:-60}"; shift || true
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz-liquid}"
work="$build/fuzz-liquid"

CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPLUMBLINE_FUZZ=ON -DPLUMBLINE_BUILD_TESTS=OFF -DPLUMBLINE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target liquid_fuzz -j2

mkdir -p "$work/corpus" "$work/seeds"
if [ -f "$shared/data/golden-liquid/golden_liquid.json" ] && [ -z "$(ls -A "$work/seeds")" ]; then
  python3 - "$shared/data/golden-liquid/golden_liquid.json" "$work/seeds" <<'PY'
import json, sys, os
tests = json.load(open(sys.argv[1]))["tests"]
for i, t in enumerate(tests):
    open(os.path.join(sys.argv[2], f"golden-{i:04d}.liquid"), "w").write(t["template"])
PY
  find "$shared/data/templates" -name '*.html' -size -16k -exec cp {} "$work/seeds/" \;
fi
exec "$build/src/liquid/liquid_fuzz" "$work/corpus" "$work/seeds" -max_total_time="$secs" \
  -max_len=4096 -timeout=5 -rss_limit_mb=2048 "$@"

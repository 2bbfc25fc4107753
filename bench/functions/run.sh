#!/usr/bin/env bash
# Pre-annotation through a Python function (warm workers, batched dispatch)
# beside the built-in PRE-TextMultiClass, on the same lines. Usage:
#   bench/functions/run.sh [OBJECTS] [WORKERS]   (PLUMBLINE_PYTHON picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build.sh >/dev/null
cmake --build build --target functions_bench >/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
build/bench/functions/functions_bench "${1:-50000}" "${2:-2}"

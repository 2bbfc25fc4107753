#!/usr/bin/env bash
# NER span consolidation: Plumbline C++ vs a plain Python implementation of
# the same algorithm (grouping, boundaries, weighted vote, two rounds of
# worker reliabilities) on the same seeded synthetic job, by default 100,000
# documents x 5 workers (of 100), about 4 spans per answer.
#
#   bench/ner/run.sh [DOCS]
#
# Environment: BUILD_DIR (default <repo>/build-bench, Release), PYTHON
# (default /usr/bin/python3), SEED, PLUMBLINE_BENCH_REPEATS (C++ runs, best
# kept; default 3). Times exclude loading. Checks that both sides give the
# same spans for every document and prints their span F1 against the truth.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DOCS="${1:-100000}"
PYTHON="${PYTHON:-/usr/bin/python3}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
BIN="$BUILD_DIR/bench/ner/plumbline_bench_ner"
echo "== building $BIN (Release)"
mkdir -p "$BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLUMBLINE_BUILD_TESTS=OFF \
  -DPLUMBLINE_BUILD_BENCH=ON >"$BUILD_DIR/configure.log" 2>&1
cmake --build "$BUILD_DIR" --target plumbline_bench_ner -j2 >/dev/null
DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
echo "== data: $DOCS documents"
"$PYTHON" "$HERE/ner_bench.py" generate "$DATA" --docs "$DOCS" --seed "${SEED:-20240601}"
echo "== C++"
"$BIN" "$DATA" | tee "$DATA/cpp.txt"
echo "== Python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
"$PYTHON" "$HERE/ner_bench.py" python "$DATA" | tee "$DATA/py.txt"
"$PYTHON" "$HERE/ner_bench.py" compare "$DATA"
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$1"; }
awk -v p="$(field "$DATA/py.txt" seconds)" -v c="$(field "$DATA/cpp.txt" seconds)" \
    -v pc="$(field "$DATA/py.txt" cpu_seconds)" -v cc="$(field "$DATA/cpp.txt" cpu_seconds)" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  printf "Python %.2f s (cpu %.2f s); C++ %.3f s (cpu %.3f s); speed-up %.1fx wall, %.1fx cpu (load: %s)\n", p, pc, c, cc, p / c, pc / cc, load
}'

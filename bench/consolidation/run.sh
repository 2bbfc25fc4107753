#!/usr/bin/env bash
# Dawid-Skene: Plumbline C++ vs a NumPy implementation on the same seeded
# synthetic job (200,000 objects x 3-5 answers, 1,000 workers, 4 classes).
#
#   bench/consolidation/run.sh [MAX_ITERATIONS]   (default 100, the EM cap)
#
# Environment:
#   BUILD_DIR             build folder (default <repo>/build-bench, Release)
#   PLUMBLINE_BENCH_BIN   use this bench binary instead of building one
#   PYTHON                interpreter with NumPy (default /usr/bin/python3;
#                         Debian: apt-get install -y python3-numpy)
#   SEED                  data seed (default 20240601)
#   PLUMBLINE_BENCH_REPEATS  C++ repetitions, best time kept (default 5)
# Both sides run the same EM (model, start, floors) with the production
# stopping rule, max |delta T| < 1e-6 or MAX_ITERATIONS E-steps; times
# exclude data loading. Prints both times (wall and CPU), iterations,
# accuracies vs the generating truth, label agreement and the speed-ups.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ITERATIONS="${1:-100}"
PYTHON="${PYTHON:-/usr/bin/python3}"
SEED="${SEED:-20240601}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"

if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
  echo "NumPy is missing for $PYTHON (Debian: apt-get install -y python3-numpy)" >&2
  exit 1
fi

BIN="${PLUMBLINE_BENCH_BIN:-}"
if [[ -z "$BIN" ]]; then
  BIN="$BUILD_DIR/bench/consolidation/plumbline_bench_consolidation"
  echo "== building $BIN (Release)"
  mkdir -p "$BUILD_DIR"
  if cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
       -DPLUMBLINE_BUILD_TESTS=OFF -DPLUMBLINE_BUILD_BENCH=ON >"$BUILD_DIR/configure.log" 2>&1 &&
     grep -q plumbline_bench_consolidation "$BUILD_DIR/build.ninja" 2>/dev/null; then
    cmake --build "$BUILD_DIR" --target plumbline_bench_consolidation -j2 >/dev/null
  else
    # The project does not configure (or bench/consolidation is not wired in
    # yet): build the bench alone; it needs only the std-only library.
    echo "   (CMake configure failed or target missing, see $BUILD_DIR/configure.log; compiling directly)"
    BIN="$BUILD_DIR/plumbline_bench_consolidation"
    "${CXX:-g++}" -std=c++20 -O2 -DNDEBUG -pthread -I"$ROOT/src" "$HERE/dawid_skene_bench.cpp" \
      "$ROOT"/src/consolidation/*.cpp -o "$BIN"
  fi
fi

DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
echo "== data"
"$PYTHON" "$HERE/bench.py" generate "$DATA" --seed "$SEED"
echo "== C++ (best of ${PLUMBLINE_BENCH_REPEATS:-5})"
"$BIN" "$DATA" "$ITERATIONS" 1 2 | tee "$DATA/cpp.txt"
echo "== NumPy $("$PYTHON" -c 'import numpy; print(numpy.__version__)')"
"$PYTHON" "$HERE/bench.py" numpy "$DATA" "$ITERATIONS" | tee "$DATA/numpy.txt"

field() {  # field FILE ALGORITHM THREADS KEY
  awk -v a="algorithm=$2" -v t="threads=$3" -v k="$4=" \
    '$0 ~ a" " && $0 ~ t" " { for (i = 1; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$1"
}
NP_WALL="$(field "$DATA/numpy.txt" dawid-skene 1 seconds)"
NP_CPU="$(field "$DATA/numpy.txt" dawid-skene 1 cpu_seconds)"
C1_WALL="$(field "$DATA/cpp.txt" dawid-skene 1 seconds)"
C1_CPU="$(field "$DATA/cpp.txt" dawid-skene 1 cpu_seconds)"
C2_WALL="$(field "$DATA/cpp.txt" dawid-skene 2 seconds)"
echo "== summary (at most $ITERATIONS iterations, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg))"
awk -v nw="$NP_WALL" -v nc="$NP_CPU" -v c1="$C1_WALL" -v cc="$C1_CPU" -v c2="$C2_WALL" 'BEGIN {
  printf "NumPy %.3f s (cpu %.3f s); C++ 1 thread %.4f s (cpu %.4f s); C++ 2 threads %.4f s\n", nw, nc, c1, cc, c2
  printf "speed-up, 1 thread: %.1fx wall, %.1fx cpu; 2 threads: %.1fx wall\n", nw / c1, nc / cc, nw / c2
}'

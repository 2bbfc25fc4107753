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
#   PLUMBLINE_BIN         the plumbline binary for the end-to-end run (default:
#                         build it in BUILD_DIR; PLUMBLINE_BIN=skip skips that run)
#   PLUMBLINE_E2E_REPEATS end-to-end runs of the command (default 7)
#   PLUMBLINE_E2E_THREADS --threads of the command (default: its own, one per
#                         processor; 1 measures the one-thread command)
#   PAIRED_ROUNDS         rounds of one NumPy EM run then 5 command runs (default
#                         3; 0 skips them): the host's speed drifts within
#                         minutes and moves both, so each round's ratio compares
#                         the two in one window
# Both sides run the same EM (model, start, floors) with the production
# stopping rule, max |delta T| < 1e-6 or MAX_ITERATIONS E-steps; times
# exclude data loading. Prints both times (wall and CPU), iterations,
# accuracies vs the generating truth, label agreement and the speed-ups.
# Then the whole command, `plumbline consolidate --algorithm dawid-skene`,
# from the same answers as a 24 MB CSV (task,worker,label) to the labels CSV,
# timed as a process (start, read, intern, EM, write, exit): min, median and
# max wall seconds over PLUMBLINE_E2E_REPEATS runs, and the NumPy EM time
# (without its data loading) over the median. One extra run with --timings
# prints where the command's time goes (start-up CPU, read, parse,
# consolidate with its iteration count, format, write).
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

PLUMBLINE="${PLUMBLINE_BIN:-}"
if [[ -z "$PLUMBLINE" ]]; then
  PLUMBLINE="$BUILD_DIR/plumbline"
  echo "== building $PLUMBLINE (Release)"
  mkdir -p "$BUILD_DIR"
  if cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
       -DPLUMBLINE_BUILD_TESTS=OFF -DPLUMBLINE_BUILD_BENCH=ON >"$BUILD_DIR/configure.log" 2>&1; then
    cmake --build "$BUILD_DIR" --target plumbline -j2 >/dev/null || PLUMBLINE=skip
  else
    PLUMBLINE=skip
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

[[ "$PLUMBLINE" == skip ]] && exit 0
echo "== plumbline consolidate, end to end (${PLUMBLINE_E2E_REPEATS:-7} runs after one warm-up; threads: ${PLUMBLINE_E2E_THREADS:-one per processor})"
"$PYTHON" "$HERE/bench.py" csv "$DATA"
THREAD_ARGS=()
[[ -n "${PLUMBLINE_E2E_THREADS:-}" ]] && THREAD_ARGS=(--threads "$PLUMBLINE_E2E_THREADS")
run_command() {
  "$PLUMBLINE" consolidate --algorithm dawid-skene --input "$DATA/answers.csv" --output "$DATA/labels.csv" \
    "${THREAD_ARGS[@]}" "$@"
}
run_command
echo "-- one run's phases (--timings: wall and the process's CPU per phase)"
run_command --timings
E2E="$("$PYTHON" "$HERE/bench.py" command "$DATA" "$PLUMBLINE" "${PLUMBLINE_E2E_REPEATS:-7}" \
  "${THREAD_ARGS[@]}")"
"$PYTHON" "$HERE/bench.py" check-csv "$DATA" "$DATA/labels.csv"
awk -v nw="$NP_WALL" -v nc="$NP_CPU" -v c1="$C1_WALL" -v e="$E2E" 'BEGIN {
  split(e, t, " ")
  printf "command wall %.3f / %.3f / %.3f s (min / median / max), cpu %.3f s (median); EM alone %.4f s\n", t[1], t[2], t[3], t[4], c1
  printf "speed-up end to end (NumPy EM / command): %.1fx wall (median; %.1f-%.1fx), %.1fx cpu; EM alone %.1fx\n", nw / t[2], nw / t[3], nw / t[1], nc / t[4], nw / c1
}'
[[ "${PAIRED_ROUNDS:-3}" == 0 ]] && exit 0
echo "== paired rounds: one NumPy EM run, then 5 runs of the command (NumPy EM / command median)"
"$PYTHON" "$HERE/bench.py" paired "$DATA" "$PLUMBLINE" "$ITERATIONS" "${PAIRED_ROUNDS:-3}" \
  "${THREAD_ARGS[@]}"

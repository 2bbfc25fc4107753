#!/usr/bin/env bash
# Image consolidation: Plumbline C++ vs plain NumPy implementations of the
# same algorithms, on the same seeded synthetic data, in one run.
#
#   bench/images/run.sh [IMAGES]      (default 100000 box images)
#
# Boxes: IMAGES images x 5 workers (of 100, a tenth careless) x 10 objects;
# C++ consolidates all of them (ConsolidateBoxes, two reliability rounds),
# then the first NUMPY_IMAGES (default 2000) again beside the NumPy
# implementation (a Python loop per image over NumPy IoU arrays; about 5 ms
# of CPU per image, so all 100,000 would take over ten minutes) and checks
# that both give the same boxes, labels and confidences.
# Masks: a 4000x3000 image from 5 workers (WIDTH, HEIGHT override); C++
# VoteMasks beside the NumPy vote over whole arrays, labels checked equal;
# then the SemanticSegmentation type's whole consolidation of the same masks
# sent as base64 PNGs (decode, vote, encode) and its parts.
#
# Environment: BUILD_DIR (default <repo>/build-bench, Release), PYTHON
# (default /usr/bin/python3; python3-numpy is installed with apt-get when
# missing and this runs as root), SEED, PLUMBLINE_BENCH_REPEATS (C++ runs,
# best kept; default 3), NUMPY_IMAGES. Times exclude loading; both wall and
# CPU seconds are printed, with the load average: on a shared machine quote
# the CPU ratios.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
IMAGES="${1:-100000}"
NUMPY_IMAGES="${NUMPY_IMAGES:-2000}"
PYTHON="${PYTHON:-/usr/bin/python3}"
SEED="${SEED:-20240601}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"

if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
  if [[ $(id -u) -eq 0 && "$PYTHON" == /usr/bin/python3 ]]; then
    echo "== installing python3-numpy (Debian)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-numpy >/dev/null
  else
    echo "NumPy is missing for $PYTHON (Debian: apt-get install -y python3-numpy)" >&2
    exit 1
  fi
fi

BIN="$BUILD_DIR/bench/images/plumbline_bench_images"
echo "== building $BIN (Release)"
mkdir -p "$BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLUMBLINE_BUILD_TESTS=OFF \
  -DPLUMBLINE_BUILD_BENCH=ON >"$BUILD_DIR/configure.log" 2>&1
cmake --build "$BUILD_DIR" --target plumbline_bench_images -j2 >/dev/null

DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$1"; }
ratio() {  # ratio LABEL NUMPY_FILE CPP_FILE
  awk -v label="$1" -v p="$(field "$2" seconds)" -v c="$(field "$3" seconds)" \
      -v pc="$(field "$2" cpu_seconds)" -v cc="$(field "$3" cpu_seconds)" 'BEGIN {
    printf "%s: NumPy %.3f s (cpu %.3f s); C++ %.4f s (cpu %.4f s); speed-up %.1fx wall, %.1fx cpu\n", label, p, pc, c, cc, p / c, pc / cc
  }'
}

echo "== boxes: data, $IMAGES images"
"$PYTHON" "$HERE/images_bench.py" generate-boxes "$DATA" --images "$IMAGES" --seed "$SEED"
echo "== C++, all $IMAGES images"
"$BIN" boxes "$DATA" | tee "$DATA/cpp_all.txt"
"$PYTHON" "$HERE/images_bench.py" quality-boxes "$DATA"
echo "== C++ and NumPy $("$PYTHON" -c 'import numpy; print(numpy.__version__)'), the first $NUMPY_IMAGES images"
"$BIN" boxes "$DATA" "$NUMPY_IMAGES" | tee "$DATA/cpp_boxes.txt"
"$PYTHON" "$HERE/images_bench.py" numpy-boxes "$DATA" --images "$NUMPY_IMAGES" | tee "$DATA/numpy_boxes.txt"
"$PYTHON" "$HERE/images_bench.py" compare-boxes "$DATA"

echo "== masks: data, ${WIDTH:-4000}x${HEIGHT:-3000} x 5 workers"
"$PYTHON" "$HERE/images_bench.py" generate-masks "$DATA" --width "${WIDTH:-4000}" --height "${HEIGHT:-3000}" --seed "$SEED"
"$BIN" masks "$DATA" | tee "$DATA/cpp_masks.txt"
"$PYTHON" "$HERE/images_bench.py" numpy-masks "$DATA" | tee "$DATA/numpy_masks.txt"
"$PYTHON" "$HERE/images_bench.py" compare-masks "$DATA"

echo "== summary ($(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg))"
awk -v n="$IMAGES" -v c="$(field "$DATA/cpp_all.txt" seconds)" -v cc="$(field "$DATA/cpp_all.txt" cpu_seconds)" \
  'BEGIN { printf "boxes, all %d images: C++ %.3f s (cpu %.3f s)\n", n, c, cc }'
ratio "boxes, $NUMPY_IMAGES images" "$DATA/numpy_boxes.txt" "$DATA/cpp_boxes.txt"
grep '^cpp masks' "$DATA/cpp_masks.txt" >"$DATA/cpp_vote.txt"
ratio "mask vote" "$DATA/numpy_masks.txt" "$DATA/cpp_vote.txt"
grep '^cpp segmentation-type' "$DATA/cpp_masks.txt"

#!/usr/bin/env bash
# Configures (once) and builds Plumbline into build/ with Ninja and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
# Paths under the checkout hash as relative ones, so another clone or worktree
# of the same sources reuses ccache's objects.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
BUILD_TYPE="${PLUMBLINE_BUILD_TYPE:-Release}"
# (Re)configures when there is no build yet or it was configured for another type.
if [[ ! -f build/build.ninja ]] || ! grep -qx "CMAKE_BUILD_TYPE:STRING=$BUILD_TYPE" build/CMakeCache.txt; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
fi
cmake --build build -j "$(nproc)"

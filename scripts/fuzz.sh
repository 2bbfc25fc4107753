#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (AddressSanitizer, UBSan)
# into build-fuzz/ and runs each for FUZZ_SECONDS (default 60) on its corpus.
# New inputs that reach new code are merged into fuzz/corpus/<name>/ (commit
# them); a crash stops the run and leaves its input in build-fuzz/findings/.
#   scripts/fuzz.sh                 every target
#   scripts/fuzz.sh sigv4_header    one target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq clang libclang-rt-dev >/dev/null
fi
# Release: clang 14 cannot emit debug info for the HTTP server's coroutines.
if [[ ! -f build-fuzz/build.ninja ]]; then
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPLUMBLINE_FUZZ=ON -DPLUMBLINE_BUILD_TESTS=OFF -DPLUMBLINE_BUILD_BENCH=OFF >/dev/null
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in fuzz/*_fuzz.cpp; do t=$(basename "$f" _fuzz.cpp); targets+=("$t"); done
fi
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
mkdir -p build-fuzz/findings
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  work="build-fuzz/corpus/$t"
  mkdir -p "$corpus" "$work"
  echo "== $t: ${seconds}s"
  # Fuzz into a scratch corpus, then keep only inputs that add coverage.
  build-fuzz/fuzz/fuzz_"$t" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/findings/$t-" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)|Done [0-9]+ runs" || true
  build-fuzz/fuzz/fuzz_"$t" -merge=1 "$corpus" "$work" 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
done
if compgen -G "build-fuzz/findings/*" >/dev/null; then
  echo "findings:"; ls -l build-fuzz/findings/
  exit 1
fi

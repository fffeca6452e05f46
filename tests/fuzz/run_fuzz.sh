#!/bin/sh
# Usage: tests/fuzz/run_fuzz.sh SECONDS — builds the request decoder fuzzer with clang in build/fuzz,
# seeds a corpus with valid encoded requests and runs libFuzzer for SECONDS seconds.
set -eu
seconds=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cmake -S . -B build/fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DFAULTLINE_BUILD_GUI=OFF -DFAULTLINE_BUILD_TESTS=OFF -DFAULTLINE_BUILD_BENCH=OFF \
    -DFAULTLINE_BUILD_FUZZ=ON
cmake --build build/fuzz -j2 --target fuzz_request_decoder fuzz_seed_writer
corpus=build/fuzz/corpus
mkdir -p "$corpus"
build/fuzz/tests/fuzz/fuzz_seed_writer "$corpus"
cp tests/fuzz/corpus/* "$corpus"/ 2>/dev/null || true
build/fuzz/tests/fuzz/fuzz_request_decoder -max_total_time="$seconds" -rss_limit_mb=2048 \
    -max_len=65536 "$corpus"

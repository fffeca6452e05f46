#!/usr/bin/env bash
# Sets up everything and runs every test: dependencies, a build with tests, a bounded fuzz run of
# the request decoder (clang + libFuzzer), then all Qt Test executables under ctest (last, so its
# summary closes the output).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
if [ -f tests/fuzz/run_fuzz.sh ]; then
    bash tests/fuzz/run_fuzz.sh "$FUZZ_SECONDS"
fi
cmake --preset dev
cmake --build --preset dev
ctest --preset dev --timeout 900

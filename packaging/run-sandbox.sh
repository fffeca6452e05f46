#!/usr/bin/env bash
# Sets up everything and runs the main job: the Faultline desktop app attached to a local 3-broker
# sandbox (brokers on 127.0.0.1:9092-9094, FD x UD grid 3 x 3). On a machine without a display it
# runs the headless engine instead (same brokers, control endpoint on http://127.0.0.1:9644).
# Extra arguments go to the program that runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset release >/dev/null
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${FAULTLINE_HEADLESS:-}" ]; then
    cmake --build --preset release --target faultline
    exec build/release/app/faultline --sandbox "$@"
fi
echo "run-sandbox: no display: running the headless engine (faultline-engine)" >&2
cmake --build --preset release --target faultline-engine
exec build/release/app/faultline-engine --brokers 3 --fault-domains 3 --update-domains 3 "$@"

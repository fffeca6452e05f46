#!/usr/bin/env bash
# Sets up everything and runs the main job: a local 3-broker sandbox on 127.0.0.1:9092-9094
# (control endpoint on 9644). With a display and the GUI built, the desktop app takes over this
# role once it exists; today it runs the headless engine. Extra arguments go to faultline-engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target faultline-engine
exec build/release/app/faultline-engine --brokers 3 --fault-domains 3 --update-domains 3 "$@"

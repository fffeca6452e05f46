#!/usr/bin/env bash
# Installs every Debian 12 package Faultline needs to build, run and test.
# Idempotent: when everything is installed already it only checks and returns (no apt-get update).
set -euo pipefail

PACKAGES=(
    # toolchain
    build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev clang-format clang-tidy
    # engine
    libasio-dev libspdlog-dev libfmt-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
    libcpp-httplib-dev nlohmann-json3-dev
    # clients (app, tests, benchmarks)
    librdkafka-dev kcat python3 python3-confluent-kafka python3-kafka libssl-dev openssl
    # Qt 6 desktop app
    qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev libgl-dev libqcustomplot-dev
    qtkeychain-qt6-dev libxkbcommon-dev
    # GUI tests: offscreen platform plugin, Xvfb for screenshots
    xvfb xauth imagemagick
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

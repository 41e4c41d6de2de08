#!/usr/bin/env bash
# Installs what building and testing Jarvis needs on Debian 12, and nothing that is already there.
# Run as root (or with sudo available). Idempotent and quiet when everything is present.
set -euo pipefail

cd "$(dirname "$0")/.."

APT_PACKAGES=(
    build-essential cmake ninja-build pkg-config git ca-certificates
    qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev
    libssh-dev qtkeychain-qt6-dev zlib1g-dev
    openssh-server openssh-client
    clang-format openssl
    clang libclang-rt-14-dev    # make fuzz: clang and its libFuzzer/ASan/UBSan runtimes
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
# Node.js (>= 18) and npm for the interop tests: use the one on PATH if there is one.
if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages for the tests (socket.io-client, socket.io, ws), pinned by the committed
# package-lock.json and installed exactly as locked with `npm ci`.
interop=tests/interop
stamp="$interop/node_modules/.jarvis-installed"
if [ -f "$interop/package-lock.json" ] && { [ ! -f "$stamp" ] || [ "$interop/package-lock.json" -nt "$stamp" ]; }; then
    echo "install-deps: npm ci in $interop"
    (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
fi

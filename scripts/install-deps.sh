#!/usr/bin/env bash
# Installs what building and testing Jarvis needs on Debian 12, and nothing that is already there.
# Run as root (or with sudo available). Idempotent and quiet when everything is present.
set -euo pipefail

cd "$(dirname "$0")/.."

APT_PACKAGES=(
    build-essential cmake ninja-build pkg-config git ca-certificates
    qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev
    libssh-dev libssl-dev qtkeychain-qt6-dev zlib1g-dev
    libsimdjson-dev             # make bench-poll: simdjson measured against our pvereader
    openssh-server openssh-client
    clang-format openssl
    clang libclang-rt-14-dev    # make fuzz: clang and its libFuzzer/ASan/UBSan runtimes
    chromium                    # tests/web: the dashboard in a real browser (playwright-core)
    gnome-keyring dbus-daemon   # tests/console: QtKeychain against a real Secret Service
    qt6-declarative-dev qt6-declarative-dev-tools libvterm-dev  # the console: Qt Quick, QML, libvterm
    qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
    qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtqml-workerscript
    qml6-module-qttest          # tests/console: Qt Quick Test for the console's views
    desktop-file-utils          # tests/console: desktop-file-validate on jarvis-console.desktop
    libsystemd-dev              # jarvisd: sd_notify (Type=notify, watchdog)
    systemd                     # tests/installer: systemd-analyze verify/security on the unit
    lintian fakeroot dpkg-dev   # make package, tests/installer: the .debs and their check
    debootstrap curl            # make test-install: the Debian 12 root, requests to jarvisd
    systemd-container           # make test-install: the root booted with systemd (systemd-nspawn)
    python3-yaml                # tests/installer: the compose file parsed (container_files)
    python3-prometheus-client   # tests/metrics: GET /metrics parsed by the reference text-format parser
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

# npm packages, pinned by each committed package-lock.json and installed exactly as locked with
# `npm ci`, again only when the lock file is newer than the stamp: the interop tests
# (socket.io-client, socket.io, ws), the MCP tests (tests/mcp: @modelcontextprotocol/sdk), the
# dashboard's build (service/web: Vite, Solid, ...; CMake checks the same stamp before it builds)
# and the browser tests (tests/web: playwright-core).
for dir in tests/interop tests/mcp service/web tests/web; do
    stamp="$dir/node_modules/.jarvis-installed"
    if [ -f "$dir/package-lock.json" ] && { [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; }; then
        echo "install-deps: npm ci in $dir"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        touch "$stamp"
    fi
done

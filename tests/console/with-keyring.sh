#!/usr/bin/env bash
# Runs a test under its own D-Bus session with an unlocked gnome-keyring (the real Secret Service
# QtKeychain talks to), in a throw-away HOME. Usage: with-keyring.sh <test executable> [args]
set -euo pipefail
for tool in dbus-run-session gnome-keyring-daemon; do
    command -v "$tool" >/dev/null || { echo "with-keyring: $tool missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/run" "$home/data"
chmod 700 "$home/run"
export HOME="$home" XDG_RUNTIME_DIR="$home/run" XDG_DATA_HOME="$home/data" JARVIS_TEST_KEYRING=1
exec dbus-run-session -- bash -c '
    printf "jarvis-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec "$@"' with-keyring "$@"

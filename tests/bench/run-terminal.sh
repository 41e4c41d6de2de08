#!/usr/bin/env bash
# The terminal benchmark (issue 5, docs/PERFORMANCE.md): `cat` of a 100 MB text file through
# PTY -> SSH -> server -> client, and keystroke echo latency (p50/p99), on three paths to the same
# loopback OpenSSH sshd in the same run:
#   ssh     plain `ssh -tt` in a local PTY (terminal-ssh.py), restricted to the cipher, MAC and key
#           exchange jarvisd's own libssh session negotiated (read from jarvis-bench-terminal --serve)
#   jarvisd the jarvisd Application's /terminal (jarvis-bench-terminal --serve), measured by the
#           C++ Socket.IO client (jarvis-bench-terminal)
#   npm     the same jarvisd, measured by the npm socket.io-client 4.8.4 (terminal-npm-client.mjs),
#           which offers permessage-deflate as browsers do
#   node    npm socket.io 4.8.4 + ssh2 1.16.0 (terminal-node.mjs), measured by the same client
# The summary compares jarvisd with each peer's best round (plain ssh, Node); a path whose round
# failed is reported as failed, never compared. Builds nothing: run `make build` first (or
# `make bench-terminal`).
#
#   tests/bench/run-terminal.sh [--mb N] [--samples N] [--rounds N]
#   env: BUILD_DIR (default build)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/tests/bench
build=${BUILD_DIR:-build}
[[ $build = /* ]] || build=$root/$build

mb=100
samples=500
rounds=3
usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --mb) mb=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) usage ;;
    esac
done

tool=$build/tests/bench/jarvis-bench-terminal
if [ ! -x "$tool" ]; then
    echo "run-terminal: $tool is missing: build first (make build, or BUILD_DIR=...)" >&2
    exit 1
fi
for cmd in node ssh python3 base64; do
    command -v "$cmd" >/dev/null || { echo "run-terminal: $cmd is not installed" >&2; exit 1; }
done

# npm socket.io and ssh2, pinned by the committed package-lock.json (the same install as run-fanout.sh).
stamp=$bench/node_modules/.jarvis-installed
if [ ! -f "$stamp" ] || [ "$bench/package-lock.json" -nt "$stamp" ] || [ ! -d "$bench/node_modules/ssh2" ] \
    || [ ! -d "$bench/node_modules/socket.io-client" ]; then
    echo "run-terminal: npm ci in tests/bench"
    (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
fi
# shellcheck disable=SC2016 # a JavaScript template literal
versions=$(cd "$bench" && node -e 'const v = (p) => require(`./node_modules/${p}/package.json`).version;
    console.log(`node ${process.versions.node}, socket.io ${v("socket.io")}, ssh2 ${v("ssh2")}`)')

tmp=$(mktemp -d /tmp/jarvis-bench-terminal.XXXXXX)
serve_pid=""
node_pid=""
cleanup() {
    for p in $node_pid $serve_pid; do
        kill "$p" 2>/dev/null || continue
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# The payload: random bytes as base64 text, 100-byte lines (99 characters and a newline).
file=$tmp/payload.txt
head -c $((mb * 750000)) /dev/urandom | base64 -w 99 >"$file"
bytes=$(stat -c %s "$file")

wait_for() { # file pattern pid what
    for _ in $(seq 1 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { cat "$1" "$1.err" >&2 2>/dev/null; echo "run-terminal: $4 died" >&2; exit 1; }
        sleep 0.1
    done
    echo "run-terminal: $4 did not start" >&2
    exit 1
}

"$tool" --serve >"$tmp/serve.out" 2>"$tmp/serve.out.err" &
serve_pid=$!
wait_for "$tmp/serve.out" '^ready=1' "$serve_pid" "jarvis-bench-terminal --serve"
get() { sed -n "s/^$1=//p" "$tmp/serve.out"; }
url=$(get url)
token=$(get token)
sshd_port=$(get sshd_port)
key=$(get key)
known_hosts=$(get known_hosts)
user=$(get user)
cipher=$(get cipher)
mac=$(get mac)
kex=$(get kex)

node "$bench/terminal-node.mjs" --ssh-port "$sshd_port" --key "$key" --user "$user" \
    >"$tmp/node.out" 2>"$tmp/node.out.err" &
node_pid=$!
wait_for "$tmp/node.out" '^listening on ' "$node_pid" "terminal-node.mjs"
node_url=$(sed -n 's/^listening on //p' "$tmp/node.out")

echo "terminal benchmark: $((bytes / 1000000)) MB file ($bytes bytes), $samples echo samples, $rounds round(s)"
echo "$versions; $(ssh -V 2>&1); $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "SSH algorithms of jarvisd's session, also given to plain ssh: cipher $cipher, mac $mac, kex $kex"
results=$tmp/results
: >"$results"
for round in $(seq 1 "$rounds"); do
    for path in ssh jarvisd npm node; do
        # A failing path is recorded as failed (and never compared); the run goes on.
        status=0
        case $path in
        ssh) line=$(python3 "$bench/terminal-ssh.py" --port "$sshd_port" --key "$key" \
            --known-hosts "$known_hosts" --user "$user" --file "$file" --bytes "$bytes" \
            --samples "$samples" --cipher "$cipher" --mac "$mac" --kex "$kex" 2>>"$tmp/client.err") || status=$? ;;
        jarvisd) line=$("$tool" --url "$url" --token "$token" --file "$file" --bytes "$bytes" \
            --server-pid "$serve_pid" --samples "$samples" 2>>"$tmp/client.err") || status=$? ;;
        npm) line=$(node "$bench/terminal-npm-client.mjs" --url "$url" --token "$token" --file "$file" \
            --bytes "$bytes" --server-pid "$serve_pid" --samples "$samples" 2>>"$tmp/client.err") || status=$? ;;
        node) line=$("$tool" --url "$node_url" --file "$file" --bytes "$bytes" \
            --server-pid "$node_pid" --samples "$samples" 2>>"$tmp/client.err") || status=$? ;;
        esac
        if [ "$status" -ne 0 ] || ! grep -q 'mbps=' <<<"$line"; then
            echo "round $round $path: FAILED (exit $status): $(tail -n 3 "$tmp/client.err" | tr '\n' ' ')"
            echo "$path failed=1" >>"$results"
            continue
        fi
        echo "round $round $path: $line"
        echo "$path $line" >>"$results"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians over the rounds that completed. For ssh, "server CPU" is the ssh client process (the
# only process between sshd and the PTY); "client CPU" is the measuring driver's own CPU. Then
# jarvisd against each peer's BEST completed round (the most favourable figure for the peer); a
# path with no completed round is no comparison and is reported as failed.
python3 - "$results" "$rounds" <<'EOF'
import statistics, sys
rows, failed = {}, {}
for line in open(sys.argv[1]):
    path, *pairs = line.split()
    r = dict(p.split("=", 1) for p in pairs)
    if "failed" in r:
        failed[path] = failed.get(path, 0) + 1
    else:
        rows.setdefault(path, []).append(r)
rounds = int(sys.argv[2])
cols = [("mbps", "MB/s"), ("server_cpu_per_100mb", "server CPU s/100 MB"),
        ("echo_p50_ms", "echo p50 ms"), ("echo_p99_ms", "echo p99 ms"),
        ("client_cpu_per_100mb", "client CPU s/100 MB")]
names = {"ssh": "plain ssh -tt (CPU: ssh client)", "jarvisd": "jarvisd",
         "npm": "jarvisd, npm socket.io-client (deflate offered)", "node": "Node socket.io + ssh2"}
print()
print("| path | " + " | ".join(c[1] for c in cols) + " | bytes/event | rounds |")
print("|---|" + "---:|" * (len(cols) + 2))
for path in ("ssh", "jarvisd", "npm", "node"):
    ok = len(rows.get(path, []))
    done = f"{ok}/{rounds}" + (f" ({failed[path]} FAILED)" if path in failed else "")
    if not ok:
        print(f"| {names[path]} | " + " | ".join("FAILED" for _ in cols) + f" | - | {done} |")
        continue
    med = [statistics.median(float(r[k]) for r in rows[path]) for k, _ in cols]
    ev = [int(r["bytes_per_event"]) for r in rows[path] if "bytes_per_event" in r]
    ev = f"{int(statistics.median(ev))}" if ev else "-"
    print(f"| {names[path]} | " + " | ".join(f"{v:.2f}" if i else f"{v:.1f}" for i, v in enumerate(med))
          + f" | {ev} | {done} |")


def values(path, key):
    return [float(r[key]) for r in rows.get(path, [])]


print()
print("jarvisd (median of its rounds) against each peer's best round:")
if not rows.get("jarvisd"):
    print("  jarvisd FAILED in every round: no comparison")
else:
    checks = [("ssh", "mbps", True, "throughput within 10 % of plain ssh",
               lambda j, p: j >= 0.9 * p, lambda j, p: f"{j:.1f} vs {p:.1f} MB/s ({j / p:.2f}x)"),
              ("ssh", "echo_p99_ms", False, "echo p99 within 1 ms of plain ssh",
               lambda j, p: j <= p + 1, lambda j, p: f"{j:.2f} vs {p:.2f} ms ({j - p:+.2f} ms)"),
              ("node", "server_cpu_per_100mb", False, "server CPU at most half of Node's",
               lambda j, p: j <= 0.5 * p, lambda j, p: f"{j:.2f} vs {p:.2f} s/100 MB ({j / p:.2f}x)"),
              ("node", "mbps", True, "throughput against Node",
               None, lambda j, p: f"{j:.1f} vs {p:.1f} MB/s ({j / p:.2f}x)"),
              ("node", "echo_p99_ms", False, "echo p99 against Node",
               None, lambda j, p: f"{j:.2f} vs {p:.2f} ms ({j - p:+.2f} ms)")]
    for peer, key, higher, what, target, show in checks:
        peer_values = values(peer, key)
        if not peer_values:
            print(f"  {what}: no comparison, {names[peer]} FAILED in every round")
            continue
        p = max(peer_values) if higher else min(peer_values)
        j = statistics.median(values("jarvisd", key))
        verdict = "" if target is None else ("  met" if target(j, p) else "  MISSED")
        print(f"  {what}: {show(j, p)}{verdict}")
EOF

#!/usr/bin/env bash
# The fan-out benchmark (docs/PERFORMANCE.md): jarvisd's Socket.IO server (jarvis-bench-server)
# against npm socket.io 4.8.4 (reference-server.mjs), same load generator (jarvis-fanout), same
# payload, same machine, same run. Rows: {jarvisd, node} x {plain, permessage-deflate}, then the
# idle RSS of `jarvisd --demo`. The summary compares each jarvisd row with node's best completed
# row; a row that aborted (RSS cap), failed or lost frames is reported as such, never compared.
# Builds nothing: run `make build` first (or `make bench`).
#
#   tests/bench/run-fanout.sh [--clients N] [--count N] [--rate HZ] [--servers "jarvisd node"]
#                             [--modes "plain deflate"] [--max-rss-mb N] [--json FILE]
#   env: BUILD_DIR (default build), JARVIS_JWT_SECRET (default: the bench secret)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/tests/bench
build=${BUILD_DIR:-build}
[[ $build = /* ]] || build=$root/$build

clients=1000
count=200
rate=10
servers="jarvisd node"
modes="plain deflate"
max_rss_mb=3072
json_out=""

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --clients) clients=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --max-rss-mb) max_rss_mb=$2; shift 2 ;;
    --json) json_out=$2; shift 2 ;;
    *) usage ;;
    esac
done

server_bin=$build/tests/bench/jarvis-bench-server
fanout_bin=$build/tests/bench/jarvis-fanout
jarvisd_bin=$build/service/jarvisd
for exe in "$server_bin" "$fanout_bin" "$jarvisd_bin"; do
    if [ ! -x "$exe" ]; then
        echo "run-fanout: $exe is missing: build first (make build, or BUILD_DIR=...)" >&2
        exit 1
    fi
done
command -v node >/dev/null || { echo "run-fanout: node is not installed (make deps)" >&2; exit 1; }

# npm socket.io 4.8.4 and ws 8.23.0, pinned by the committed package-lock.json.
stamp=$bench/node_modules/.jarvis-installed
if [ ! -f "$stamp" ] || [ "$bench/package-lock.json" -nt "$stamp" ]; then
    echo "run-fanout: npm ci in tests/bench"
    (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
fi
# shellcheck disable=SC2016 # a JavaScript template literal
versions=$(cd "$bench" && node -e 'const v = (p) => require(`./node_modules/${p}/package.json`).version;
    console.log(`node ${process.versions.node}, socket.io ${v("socket.io")}, engine.io ${v("engine.io")}, ws ${v("ws")}`)')

# One descriptor per client in the generator and in the server, plus slack.
need=$((clients + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    if [ "$(ulimit -n)" -lt "$need" ]; then
        echo "run-fanout: ulimit -n is $(ulimit -n), $need needed for $clients clients" >&2
        exit 1
    fi
fi

export JARVIS_JWT_SECRET=${JARVIS_JWT_SECRET:-jarvis-bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz}
tmp=$(mktemp -d /tmp/jarvis-bench.XXXXXX)
server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

python3 "$bench/make-payload.py" "$tmp/vms.json"
printf '42/cluster,["vms",%s]' "$(cat "$tmp/vms.json")" >"$tmp/expected.txt"
results=$tmp/results.jsonl
: >"$results"

# Starts a server in the background (its pid in server_pid) and sets `port` from the line it
# prints when it listens.
start_server() {
    local log=$tmp/server.log
    : >"$log"
    "$@" >"$log" 2>&1 &
    server_pid=$!
    port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
        [ -n "$port" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "run-fanout: the server did not start: $*" >&2
    cat "$log" >&2
    exit 1
}

echo "run-fanout: $clients clients, $count broadcasts at $rate Hz, $(wc -c <"$tmp/vms.json") bytes of vms JSON;" \
    "$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1); $versions"
for mode in $modes; do
    for server in $servers; do
        case $server in
        jarvisd) start_server "$server_bin" --payload "$tmp/vms.json" --port 0 ;;
        node)
            if [ "$mode" = deflate ]; then
                start_server node "$bench/reference-server.mjs" --payload "$tmp/vms.json" --port 0 --deflate
            else
                start_server node "$bench/reference-server.mjs" --payload "$tmp/vms.json" --port 0
            fi
            ;;
        *) echo "run-fanout: unknown server $server" >&2; exit 2 ;;
        esac
        sleep 1 # let it finish starting before the idle RSS sample
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        echo
        echo "== $server, $mode (load average before: $load)"
        args=(--port "$port" --clients "$clients" --count "$count" --rate "$rate" --server-pid "$server_pid"
            --max-rss-mb "$max_rss_mb" --label "$server $mode")
        if [ "$mode" = deflate ]; then
            args+=(--deflate)
        else
            args+=(--dump "$tmp/dump.txt")
        fi
        rm -f "$tmp/dump.txt"
        if ! "$fanout_bin" "${args[@]}" >"$tmp/row.txt"; then
            cat "$tmp/row.txt"
            echo "run-fanout: jarvis-fanout failed for $server $mode: the row is reported as failed" >&2
            echo '{"server":"'"$server"'","mode":"'"$mode"'","load":"'"$load"'","failed":true}' >>"$results"
            stop_server
            sleep 2
            continue
        fi
        grep -v '^RESULT ' "$tmp/row.txt"
        identical=null
        if [ -f "$tmp/dump.txt" ]; then
            if cmp -s "$tmp/dump.txt" "$tmp/expected.txt"; then identical=true; else identical=false; fi
            echo "  payload bytes identical to the file: $identical"
        fi
        sed -n 's/^RESULT {\(.*\)}$/{"server":"'"$server"'","mode":"'"$mode"'","load":"'"$load"'","identical":'"$identical"',\1}/p' \
            "$tmp/row.txt" >>"$results"
        stop_server
        sleep 2
    done
done

# jarvisd --demo, idle: what a fresh install costs before anyone connects.
echo
start_server "$jarvisd_bin" --demo --port 0
sleep 3
demo_rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
stop_server
echo "== jarvisd --demo idle RSS: $((demo_rss / 1024)) MB ($demo_rss KiB)"

[ -n "$json_out" ] && cp "$results" "$json_out"

python3 - "$results" "$demo_rss" <<'EOF'
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
demo_rss = int(sys.argv[2])
print()
head = ("server", "mode", "deflate", "missing", "p50 ms", "p99 ms", "max ms", "CPU s", "CPU/bcast ms",
        "idle MB", "N conn MB", "KiB/conn", "peak MB", "gen CPU s", "load")
table = []
for r in rows:
    if r.get("failed"):
        table.append((r["server"], r["mode"] + " FAILED") + ("-",) * (len(head) - 3) + (r["load"].split()[0],))
        continue
    negotiated = "%d/%d" % (r["deflateNegotiated"], r["clients"])
    table.append((r["server"], r["mode"] + (" ABORTED" if r["aborted"] else ""), negotiated, str(r["missing"]),
                  "%.1f" % r["lastP50Ms"], "%.1f" % r["lastP99Ms"], "%.1f" % r["lastMaxMs"],
                  "%.2f" % r["serverCpuS"], "%.1f" % r["cpuPerBroadcastMs"],
                  "%.1f" % (r["idleRssKiB"] / 1024), "%.1f" % (r["clientsRssKiB"] / 1024),
                  "%.1f" % r["rssPerConnKiB"], "%.1f" % (r["peakRssKiB"] / 1024),
                  "%.2f" % r["generatorCpuRunS"], r["load"].split()[0]))
widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(head)]
line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for t in table:
    print(line(t))
print("(latency: send to the last client's receipt, over the broadcasts; CPU: server utime+stime during the run)")


# A row compares only when it ran to the end: not failed, not aborted, every frame delivered.
def complete(r):
    return not r.get("failed") and not r["aborted"] and r["missing"] == 0


def why_not(r):
    return "FAILED" if r.get("failed") else "ABORTED" if r["aborted"] else "%d frames missing" % r["missing"]


print()
for r in rows:
    if not complete(r):
        print("%s %s %s: not a comparison" % (r["server"], r["mode"], why_not(r)))
peers = [r for r in rows if r["server"] == "node" and complete(r)]
# jarvisd against node's BEST completed row for each figure (the most favourable one for node).
metrics = (("p99", "lastP99Ms", "ms"), ("CPU per broadcast", "cpuPerBroadcastMs", "ms"),
           ("RSS per connection", "rssPerConnKiB", "KiB"))
for j in rows:
    if j["server"] != "jarvisd" or not complete(j):
        continue
    if not peers:
        print("jarvisd %-7s no comparison: no node row completed" % j["mode"])
        continue
    parts, ratios = [], {}
    for name, key, unit in metrics:
        b = min(peers, key=lambda r: r[key])
        ratios[key] = j[key] / b[key] if b[key] else float("nan")
        parts.append("%s %.1f vs %.1f %s (%.2fx, node %s)" % (name, j[key], b[key], unit, ratios[key], b["mode"]))
    note = ""
    if j["mode"] == "deflate" and j["deflateNegotiated"] == 0:
        note = "   targets not assessed: jarvisd did not negotiate deflate"
    elif j["mode"] == "deflate":
        p99, cpu, mem = ratios["lastP99Ms"], ratios["cpuPerBroadcastMs"], ratios["rssPerConnKiB"]
        note = "   targets: p99 <= 0.5 %s, CPU <= 0.5 %s, memory <= 1 %s" % (
            "met" if p99 <= 0.5 else "MISSED", "met" if cpu <= 0.5 else "MISSED", "met" if mem <= 1 else "MISSED")
    print("jarvisd %-7s vs node's best completed row: %s%s" % (j["mode"], "; ".join(parts), note))
print("jarvisd --demo idle RSS %.1f MB (target <= 25 MB: %s)" % (demo_rss / 1024, "met" if demo_rss <= 25 * 1024 else "MISSED"))
missing = sum(r.get("missing", 0) for r in rows if not r.get("failed"))
if missing:
    print("MISSING FRAMES: %d (must be 0; aborted rows stop early)" % missing)
EOF

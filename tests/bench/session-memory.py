#!/usr/bin/env python3
"""Memory of jarvisd around many abandoned sessions (run on demand, not by ctest).

Starts `jarvisd --demo` on a free loopback port with a short Engine.IO heartbeat, then, for each
round: opens N polling sessions and abandons them (they expire after pingInterval + pingTimeout),
opens M WebSocket sessions that join /cluster with a token (so each gets the snapshots) and
closes them. Prints the daemon's RSS (VmRSS from /proc) at start, at the peak of each round, once
every session is gone, and after --settle more seconds.

  tests/bench/session-memory.py --jarvisd build/service/jarvisd [--rounds 3] [--polling 2000]
      [--websocket 500] [--settle 60] [--wrap "heaptrack -o /tmp/jarvisd"]

With --wrap the daemon runs under that command (heaptrack, valgrind ...); its RSS is then the
wrapper's child's, found by name.
"""
import argparse, base64, json, os, re, shlex, socket, subprocess, sys, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, method, path, body=b"", headers=None):
    s = socket.create_connection(("127.0.0.1", port))
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    if body:
        head += f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n"
    s.sendall(head.encode() + b"\r\n" + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


def ws_frame(payload, opcode=1):
    mask = os.urandom(4)
    n = len(payload)
    header = bytes([0x80 | opcode])
    if n < 126:
        header += bytes([0x80 | n])
    else:
        header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_session(port, token):
    s = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data or b"sid" not in data:
        data += s.recv(65536)
    s.sendall(ws_frame(b'40/cluster,{"token":"' + token.encode() + b'"}'))
    # Read until the first snapshot event arrives (the join worked).
    deadline = time.time() + 10
    while b'42/cluster,["' not in data and time.time() < deadline:
        data += s.recv(65536)
    return s


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jarvisd", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--polling", type=int, default=2000)
    ap.add_argument("--websocket", type=int, default=500)
    ap.add_argument("--settle", type=float, default=60)
    ap.add_argument("--wrap", default="")
    args = ap.parse_args()

    port = free_port()
    env = dict(os.environ, JARVIS_PORT=str(port), JARVIS_PING_INTERVAL="2000",
               JARVIS_PING_TIMEOUT="2000", JARVIS_JWT_SECRET="bench-" + "x" * 60)
    cmd = shlex.split(args.wrap) + [args.jarvisd, "--demo", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = ""
    for _ in range(5):  # a wrapper may print first
        line = proc.stdout.readline()
        if "listening" in line:
            break
    else:
        proc.kill()
        sys.exit(f"jarvisd did not start: {line!r}")
    pid = proc.pid
    if args.wrap:  # the daemon is the wrapper's descendant
        out = subprocess.run(["pgrep", "-n", "-f", f"{args.jarvisd} --demo --port {port}"],
                             capture_output=True, text=True).stdout.split()
        pid = int(out[-1]) if out else proc.pid
    time.sleep(1)
    status, body = http(port, "POST", "/api/auth/login", b'{"password":"jarvis-demo"}')
    token = json.loads(body)["token"]
    print(f"start            RSS {rss_kb(pid) / 1024:7.1f} MiB", flush=True)
    expire = 2 * (2000 + 2000) / 1000 + 1  # two heartbeats: every abandoned session has expired
    for r in range(args.rounds):
        for _ in range(args.polling):
            assert http(port, "GET", "/socket.io/?EIO=4&transport=polling")[0] == 200
        sockets = [ws_session(port, token) for _ in range(args.websocket)]
        peak = rss_kb(pid)
        for s in sockets:
            s.close()
        time.sleep(expire)
        print(f"round {r + 1}: peak   RSS {peak / 1024:7.1f} MiB, all closed {rss_kb(pid) / 1024:7.1f} MiB",
              flush=True)
    if args.settle:
        time.sleep(args.settle)
        print(f"after {args.settle:.0f} s      RSS {rss_kb(pid) / 1024:7.1f} MiB", flush=True)
    os.kill(pid, 15)  # the daemon itself, so that a wrapper such as heaptrack finishes its file
    proc.wait(timeout=60)


if __name__ == "__main__":
    main()

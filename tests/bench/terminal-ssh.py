#!/usr/bin/env python3
"""The terminal benchmark's baseline (docs/PERFORMANCE.md, issue 5): plain `ssh -tt` in a local
PTY, doing what jarvis-bench-terminal does through a Socket.IO server: `cat FILE` timed until a
sentinel, then `cat >/dev/null` and one keystroke at a time timed until its echo. Prints one line
of key=value pairs in jarvis-bench-terminal's format (server CPU is the ssh client's here).
--cipher/--mac/--kex restrict ssh to the algorithms jarvisd's libssh session negotiated
(run-terminal.sh reads them from jarvis-bench-terminal --serve), so both paths pay for the same
crypto; an AEAD cipher's "mac" (aead-gcm, aead-poly1305) is part of the cipher and not passed.

  terminal-ssh.py --port P --key FILE --known-hosts FILE --user U --file F --bytes N [--samples 500]
                  [--cipher C] [--mac M] [--kex K]
"""
import argparse
import fcntl
import os
import pty
import resource
import select
import struct
import sys
import termios
import time


def cpu_of(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--known-hosts", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--cipher", default="")
    p.add_argument("--mac", default="")
    p.add_argument("--kex", default="")
    a = p.parse_args()

    algorithms = []
    if a.cipher:
        algorithms += ["-c", a.cipher]
    if a.mac and not a.mac.startswith("aead"):
        algorithms += ["-m", a.mac]
    if a.kex:
        algorithms += ["-o", f"KexAlgorithms={a.kex}"]

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("ssh", ["ssh", "-tt", "-F", "/dev/null", "-i", a.key, "-o", "IdentitiesOnly=yes",
                          "-o", f"UserKnownHostsFile={a.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                          "-o", "BatchMode=yes", *algorithms, "-p", a.port, f"{a.user}@127.0.0.1"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))

    def read_until(needle, timeout):
        buf = b""
        count = 0
        end = time.monotonic() + timeout
        while True:
            r, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            if not r:
                raise SystemExit(f"terminal-ssh: timeout waiting for {needle!r}")
            chunk = os.read(fd, 65536)
            count += len(chunk)
            buf = buf[-64:] + chunk
            if needle in buf:
                return count

    def drain(seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    os.read(fd, 65536)
                except OSError:  # ssh exited: the PTY is closed
                    return

    drain(1.5)  # login, prompt
    cpu0 = cpu_of(pid)
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    os.write(fd, f"cat '{a.file}'; echo __EN''D__\r".encode())
    received = read_until(b"__END__", 300)
    seconds = time.perf_counter() - t0
    ssh_cpu = cpu_of(pid) - cpu0
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    driver_cpu = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)

    os.write(fd, b"cat >/dev/null\r")
    drain(0.5)
    lat = []
    warmup = 20
    while len(lat) < a.samples:
        t = time.perf_counter()
        os.write(fd, b"x")
        while True:
            r, _, _ = select.select([fd], [], [], 10)
            if not r:
                raise SystemExit("terminal-ssh: no echo")
            if b"x" in os.read(fd, 65536):
                break
        ms = (time.perf_counter() - t) * 1000
        if warmup:
            warmup -= 1
        else:
            lat.append(ms)
        time.sleep(0.002)
    os.write(fd, b"\x03")
    time.sleep(0.2)
    os.write(fd, b"exit\r")
    drain(0.5)
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except OSError:
        pass
    lat.sort()
    mb = a.bytes / 1e6
    print(f"mbps={mb / seconds:.1f} seconds={seconds:.3f} received={received} "
          f"server_cpu_per_100mb={ssh_cpu * 100 / mb:.3f} client_cpu_per_100mb={driver_cpu * 100 / mb:.3f} "
          f"echo_p50_ms={lat[len(lat) // 2]:.3f} echo_p99_ms={lat[min(len(lat) - 1, int(0.99 * len(lat)))]:.3f} "
          f"samples={len(lat)}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes the fan-out benchmark's `vms` payload: a JSON array of VMData (PROTOCOL.md section 5).

    make-payload.py OUT.json [--guests 200]

Deterministic (a fixed linear congruential generator, no `random`), ASCII only, compact, keys
sorted. Both servers parse this file once and re-serialise it on every broadcast, and both must
send identical bytes: Qt's QJsonObject always writes keys in sorted order, JavaScript keeps the
order of the file, so the file is sorted too. Numbers are integers or doubles >= 0.001 (below
1e-4 Qt writes an exponent where JavaScript does not), and no double is integral.
"""

import argparse
import json


class Lcg:
    """Numerical Recipes' 32-bit LCG: the same sequence on every machine and Python version."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next(self):
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return self.state

    def uniform(self):
        return self.next() / 2**32

    def below(self, n):
        return self.next() % n

    def pick(self, items):
        return items[self.below(len(items))]


ROLES = ["web", "db", "cache", "api", "worker", "ci-runner", "mail", "dns", "proxy", "git",
         "monitor", "backup", "vpn", "ldap", "build", "media", "k8s-node", "k8s-cp", "log", "nas"]
ENVS = ["prod", "staging", "dev", "lab"]
TAGS = ["prod", "staging", "dev", "critical", "backup-daily", "ha", "k8s", "docker", "public",
        "internal", "gpu", "legacy", "monitoring", "terraform", "ansible"]
NODES = ["pve1", "pve2", "pve3", "pve4", "pve5"]
GIB = 1024**3


def fraction(rng, low, high):
    """A double in [low, high) with full precision, never integral, never below 0.001."""
    return max(0.001, low + (high - low) * rng.uniform())


def guest(rng, index):
    vmid = 100 + index
    kind = "lxc" if rng.below(10) < 3 else "qemu"
    roll = rng.below(100)
    status = "running" if roll < 80 else ("paused" if roll < 82 else "stopped")
    template = kind == "qemu" and status == "stopped" and rng.below(4) == 0
    maxcpu = rng.pick([1, 2, 2, 4, 4, 8, 16])
    maxmem = rng.pick([512 * 1024**2, 1 * GIB, 2 * GIB, 4 * GIB, 8 * GIB, 16 * GIB, 32 * GIB])
    maxdisk = rng.pick([8, 16, 32, 64, 100, 250, 500]) * GIB
    running = status == "running"
    uptime = rng.below(90 * 86400) + 60 if running else 0
    vm = {
        "vmid": vmid,
        "name": "%s-%s-%02d" % (rng.pick(ENVS), rng.pick(ROLES), rng.below(40) + 1),
        "node": NODES[index % len(NODES)],
        "type": kind,
        "status": status,
        "cpu": fraction(rng, 0.001, 0.95) if running else 0,
        "maxcpu": maxcpu,
        "mem": int(maxmem * fraction(rng, 0.05, 0.95)) if running else 0,
        "maxmem": maxmem,
        # PVE reports 0 for a VM's disk usage (no guest agent); containers know theirs.
        "disk": int(maxdisk * fraction(rng, 0.1, 0.9)) if kind == "lxc" else 0,
        "maxdisk": maxdisk,
        "uptime": uptime,
        "netin": rng.below(2**31) * rng.below(64) if running else 0,
        "netout": rng.below(2**31) * rng.below(16) if running else 0,
        "diskread": rng.below(2**31) * rng.below(32) if running else 0,
        "diskwrite": rng.below(2**31) * rng.below(32) if running else 0,
        "template": template,
        "tags": sorted({rng.pick(TAGS) for _ in range(rng.below(4))}),
    }
    if rng.below(40) == 0:
        vm["lock"] = rng.pick(["backup", "snapshot", "migrate"])
    return vm


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--guests", type=int, default=200)
    args = parser.parse_args()
    rng = Lcg(20240607)
    vms = [guest(rng, i) for i in range(args.guests)]
    text = json.dumps(vms, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    with open(args.out, "w", encoding="ascii") as f:
        f.write(text)


if __name__ == "__main__":
    main()

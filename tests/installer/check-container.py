#!/usr/bin/env python3
"""The container files, linted without a Docker engine (none runs on the build machines): the
compose file parses and has what installer/Dockerfile's comments promise, and the Dockerfile has
its two stages, a non-root user, the ports, the health check and the entry point.
Usage: check-container.py INSTALLER_DIR (ctest container_files)."""
import re
import sys
from pathlib import Path

import yaml

installer = Path(sys.argv[1])
problems = []


def need(condition, what):
    if not condition:
        problems.append(what)


compose = yaml.safe_load((installer / "docker-compose.yml").read_text())
services = compose.get("services", {})
need(set(services) == {"jarvisd", "demo"}, f"services are {sorted(services)}")
jarvisd = services.get("jarvisd", {})
need(jarvisd.get("build", {}).get("dockerfile") == "installer/Dockerfile", "jarvisd: build")
volumes = jarvisd.get("volumes", [])
need(any(v.endswith(":/etc/jarvis:ro") for v in volumes), "jarvisd: /etc/jarvis volume (ro)")
need("jarvis-state:/var/lib/jarvis" in volumes, "jarvisd: state volume")
need("jarvis-state" in (compose.get("volumes") or {}), "volume jarvis-state declared")
demo = services.get("demo", {})
need(demo.get("command") == ["--demo"], "demo: command --demo")
need(demo.get("profiles") == ["demo"], "demo: profile demo")
need(any(str(p).endswith(":8080:8080") for p in demo.get("ports", [])), "demo: port 8080")
for name, service in services.items():
    need(service.get("cap_drop") == ["ALL"], f"{name}: cap_drop ALL")
    need(service.get("read_only") is True, f"{name}: read_only")

dockerfile = (installer / "Dockerfile").read_text()
# Continuation lines joined, comments dropped: one instruction per line.
instructions = [
    line.strip()
    for line in re.sub(r"\\\n", " ", dockerfile).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]
froms = [i for i in instructions if i.startswith("FROM ")]
need(froms == ["FROM debian:12 AS build", "FROM debian:12-slim"], f"stages: {froms}")
runtime = instructions[instructions.index("FROM debian:12-slim"):] if "FROM debian:12-slim" in instructions else []
need("USER jarvis" in runtime, "runtime: USER jarvis")
need(any(i.startswith("EXPOSE ") and "8080" in i and "8443" in i for i in runtime), "EXPOSE 8080 8443")
need(any(i.startswith("HEALTHCHECK ") and "/api/health" in i for i in runtime), "HEALTHCHECK /api/health")
need('ENTRYPOINT ["/usr/bin/jarvisd"]' in runtime, "ENTRYPOINT jarvisd")
need(any("JARVIS_LISTEN=0.0.0.0" in i for i in runtime), "JARVIS_LISTEN for the published port")
need(any("install-deps.sh" in i for i in instructions), "build stage uses scripts/install-deps.sh")
known = {"FROM", "WORKDIR", "COPY", "RUN", "ENV", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK",
         "STOPSIGNAL", "ENTRYPOINT", "CMD", "ARG", "LABEL"}
for i in instructions:
    need(i.split()[0] in known, f"unknown instruction: {i[:40]}")

for p in problems:
    print(f"container_files: {p}")
print(f"container_files: compose ({len(services)} services) and Dockerfile ({len(instructions)} "
      f"instructions): {len(problems)} problem(s); no Docker engine here to build them")
sys.exit(1 if problems else 0)

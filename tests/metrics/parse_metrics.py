#!/usr/bin/env python3
"""Reads Prometheus text exposition (format 0.0.4) on stdin with the reference parser
(prometheus_client.parser, Debian's python3-prometheus-client) and prints its samples as JSON:
[{"family", "type", "help", "name", "labels", "value"}, ...]. Exits 1, naming the problem on
stderr, when the parser refuses the text or a family breaks a rule the format sets for it:
HELP and TYPE given, histogram buckets cumulative and ending in le="+Inf" equal to _count."""
import json
import math
import sys
from collections import defaultdict

from prometheus_client.parser import text_string_to_metric_families


def fail(message):
    print(f"parse_metrics: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    text = sys.stdin.buffer.read().decode("utf-8")
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError (and others) on malformed text
        fail(f"the parser refused the text: {e!r}")
    declared = [line.split(" ")[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    if len(declared) != len(set(declared)):
        fail("a metric name is declared twice")
    out = []
    for family in families:
        if family.type not in ("counter", "gauge", "histogram"):
            fail(f"{family.name}: type {family.type} (no TYPE line?)")
        if not family.documentation:
            fail(f"{family.name}: no HELP")
        if family.type == "histogram":
            series = defaultdict(lambda: {"buckets": [], "count": None})
            for s in family.samples:
                key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                if s.name.endswith("_bucket"):
                    series[key]["buckets"].append((float(s.labels["le"]), s.value))
                elif s.name.endswith("_count"):
                    series[key]["count"] = s.value
            for key, h in series.items():
                bounds = [b for b, _ in h["buckets"]]
                counts = [c for _, c in h["buckets"]]
                if not bounds or bounds[-1] != math.inf:
                    fail(f"{family.name}{key}: no le=\"+Inf\" bucket last")
                if bounds != sorted(bounds) or counts != sorted(counts):
                    fail(f"{family.name}{key}: buckets not ascending and cumulative")
                if counts[-1] != h["count"]:
                    fail(f"{family.name}{key}: +Inf bucket {counts[-1]} != _count {h['count']}")
        for s in family.samples:
            value = s.value if math.isfinite(s.value) else repr(s.value)
            out.append({"family": family.name, "type": family.type,
                        "help": family.documentation, "name": s.name,
                        "labels": s.labels, "value": value})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# `make fuzz`: runs every libFuzzer target of a -DJARVIS_FUZZ=ON build (listed in
# BUILD/fuzz/targets.txt with its committed seed corpus) for SECONDS each and prints a table of
# executions and crashes. The inputs libFuzzer finds go to BUILD/fuzz/corpus/NAME, crash
# artifacts to BUILD/fuzz/artifacts/NAME, logs to BUILD/fuzz/logs: nothing is written to the
# repository. A target stops at its first crash (the artifact reproduces it:
# BUILD/fuzz/fuzz_NAME ARTIFACT). Exit status 1 when any target crashed.
# Usage: run-fuzz.sh BUILD_DIR SECONDS
set -uo pipefail

build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run-fuzz.sh BUILD_DIR SECONDS}
list="$build/fuzz/targets.txt"
if [ ! -f "$list" ]; then
    echo "run-fuzz: $list is missing (configure with -DJARVIS_FUZZ=ON and clang++)" >&2
    exit 2
fi

stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

table=()
failed=0
while read -r name corpus; do
    [ -n "$name" ] || continue
    bin="$build/fuzz/fuzz_$name"
    work="$build/fuzz/corpus/$name"
    artifacts="$build/fuzz/artifacts/$name"
    log="$build/fuzz/logs/$name.log"
    mkdir -p "$work" "$artifacts" "$build/fuzz/logs"
    rm -f "$artifacts"/*
    echo "run-fuzz: $name for ${seconds}s"
    # New inputs go to the first corpus folder (the build's); the committed one is only read.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$work" "$corpus" >"$log" 2>&1 </dev/null
    status=$?
    execs=$(stat number_of_executed_units "$log")
    rate=$(stat average_exec_per_sec "$log")
    found=$(find "$artifacts" -type f | wc -l)
    crashes=$found
    if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then
        crashes=1 # it failed without writing an artifact (e.g. it could not start)
    fi
    if [ "$crashes" -ne 0 ]; then
        failed=1
        echo "run-fuzz: $name CRASHED (exit $status); the report:" >&2
        grep -E -m1 -A25 'ERROR: |check failed|runtime error|==ERROR' "$log" >&2 || tail -30 "$log" >&2
        find "$artifacts" -type f -printf "run-fuzz: reproduce with $bin %p\n" >&2
    fi
    table+=("$(printf '%-12s %8ss %12s %10s %8s' "$name" "$seconds" "${execs:-?}" "${rate:-?}" "$crashes")")
done <"$list"

echo
printf '%-12s %9s %12s %10s %8s\n' target time executions "exec/s" crashes
for row in "${table[@]}"; do
    echo "$row"
done
exit $failed

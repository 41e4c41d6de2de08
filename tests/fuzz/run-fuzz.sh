#!/usr/bin/env bash
# `make fuzz`: runs every libFuzzer target of a -DJARVIS_FUZZ=ON build (listed in
# BUILD/fuzz/targets.txt with its committed seed corpus) for SECONDS each and prints a table of
# executions and crashes. The inputs libFuzzer finds go to BUILD/fuzz/corpus/NAME, crash
# artifacts to BUILD/fuzz/artifacts/NAME, logs to BUILD/fuzz/logs: nothing is written to the
# repository. A target stops at its first crash (the artifact reproduces it:
# BUILD/fuzz/fuzz_NAME ARTIFACT). Exit status 1 when any target crashed.
# Usage: [JOBS=N] run-fuzz.sh BUILD_DIR SECONDS   (N targets at once, default one per core)
set -uo pipefail

build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run-fuzz.sh BUILD_DIR SECONDS}
list="$build/fuzz/targets.txt"
if [ ! -f "$list" ]; then
    echo "run-fuzz: $list is missing (configure with -DJARVIS_FUZZ=ON and clang++)" >&2
    exit 2
fi

final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

# One target: its log, and its row of the table in BUILD/fuzz/logs/NAME.row (the crash count
# last), plus its crash report on stderr.
run_one() {
    local name=$1 corpus=$2
    local bin="$build/fuzz/fuzz_$name"
    local work="$build/fuzz/corpus/$name"
    local artifacts="$build/fuzz/artifacts/$name"
    local log="$build/fuzz/logs/$name.log"
    mkdir -p "$work" "$artifacts"
    rm -f "$artifacts"/*
    echo "run-fuzz: $name for ${seconds}s"
    # New inputs go to the first corpus folder (the build's); the committed one is only read.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$work" "$corpus" >"$log" 2>&1 </dev/null
    local status=$?
    local execs rate found crashes
    execs=$(final_stat number_of_executed_units "$log")
    rate=$(final_stat average_exec_per_sec "$log")
    found=$(find "$artifacts" -type f | wc -l)
    crashes=$found
    if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then
        crashes=1 # it failed without writing an artifact (e.g. it could not start)
    fi
    printf '%-12s %8ss %12s %10s %8s\n' "$name" "$seconds" "${execs:-?}" "${rate:-?}" "$crashes" \
        >"$build/fuzz/logs/$name.row"
    if [ "$crashes" -ne 0 ]; then
        {
            echo "run-fuzz: $name CRASHED (exit $status); the report:"
            grep -E -m1 -A25 'ERROR: |check failed|runtime error|==ERROR' "$log" || tail -30 "$log"
            find "$artifacts" -type f -printf "run-fuzz: reproduce with $bin %p\n"
        } >&2
    fi
}

# JOBS targets at a time (default: one per core; each libFuzzer run is single-threaded), so the
# whole run takes SECONDS x targets / JOBS. The verdict is the table's: each target's row (its
# crash count last, or no row at all), so what is printed and the exit status cannot disagree.
parallel=${JOBS:-$(nproc)}
names=()
mkdir -p "$build/fuzz/logs"
while read -r name corpus; do
    [ -n "$name" ] || continue
    names+=("$name")
    rm -f "$build/fuzz/logs/$name.row"
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
        wait -n
    done
    run_one "$name" "$corpus" &
done <"$list"
wait

echo
printf '%-12s %9s %12s %10s %8s\n' target time executions "exec/s" crashes
failed=0
for name in "${names[@]}"; do
    row="$build/fuzz/logs/$name.row"
    if [ -f "$row" ]; then
        cat "$row"
        [ "$(awk '{print $NF}' "$row")" = 0 ] || failed=1
    else
        failed=1
        printf '%-12s %s\n' "$name" "did not report"
    fi
done
exit $failed

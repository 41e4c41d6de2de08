# Jarvis: the two commands of the quick start, and a few more.
#   make demo   installs what is missing, builds, runs jarvisd --demo on http://127.0.0.1:8080
#   make test   installs what is missing, builds, runs every test through ctest
#   make test-sanitize   the same suite built with ASan + LeakSanitizer + UBSan (build-sanitize/)
#   make fuzz   builds the libFuzzer targets with clang (build-fuzz/), runs each FUZZ_SECONDS
#   make screenshots   the browser test, then its desktop screenshot becomes docs/dashboard.png
#   make package   the Debian packages jarvis-service, jarvis-setup and jarvis-console in build/packages
#   make test-install   (root) the packages installed and run in a fresh Debian 12 root

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

SANITIZE_BUILD_DIR ?= build-sanitize
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30

.PHONY: all deps configure build test test-sanitize fuzz demo format clean

all: build

deps:
	@bash scripts/install-deps.sh

# Line tables only (-g1): backtraces keep their functions, files and lines, and a test's object
# compiles in 60% of the time full debug information takes (tst_terminal.cpp: 9.0 s against
# 14.5 s), which is most of CI's build. `make BUILD_TYPE=Debug` for a debugger's full view.
configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) --parallel $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900 $(CTEST_ARGS)

# The whole suite, sanitized: every library, jarvisd (which tst_cli, tst_toolsrest and the Node
# interop tests start as a child; it inherits these options) and the tests. ASan and LeakSanitizer
# reports go to files in $(SANITIZE_BUILD_DIR)/sanitizer-reports (log_path), so that one from a
# child whose output a test does not show still counts: any report fails the run and is printed
# at the end. UBSan reports go to stderr (GCC's runtime ignores log_path for them) and stop the
# process, like ASan's. tests/sanitizers/lsan.supp lists the leaks inside system libraries that
# are not ours to fix. -O1 and line tables only (-g1): quicker to build on CI's
# 2 cores, and enough for the reports' stack traces. A unity build (CMake batches a library's
# sources into a few objects): the libraries build in about half the time; `make test`'s build
# stays one object per source, so a missing #include still shows there. No benchmarks (tests/bench):
# nothing runs them there.
SANITIZER_REPORTS = $(abspath $(SANITIZE_BUILD_DIR))/sanitizer-reports
SANITIZER_ENV = \
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_init_order=1:log_path=$(SANITIZER_REPORTS)/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0

test-sanitize: deps
	@cmake -S . -B $(SANITIZE_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_UNITY_BUILD=ON \
		-DJARVIS_BENCHMARKS=OFF -DJARVIS_SANITIZE=ON >/dev/null
	@cmake --build $(SANITIZE_BUILD_DIR) --parallel $(JOBS)
	@rm -rf $(SANITIZER_REPORTS) && mkdir -p $(SANITIZER_REPORTS)
	@status=0; cd $(SANITIZE_BUILD_DIR) && $(SANITIZER_ENV) \
		ctest --output-on-failure --timeout 900 $(CTEST_ARGS) || status=$$?; \
	for report in $(SANITIZER_REPORTS)/*; do \
		[ -f "$$report" ] || continue; \
		echo "test-sanitize: sanitizer report $$report:"; cat "$$report"; status=1; \
	done; \
	exit $$status

# The libFuzzer targets (tests/fuzz), built with clang in their own folder, each run FUZZ_SECONDS
# from its committed seed corpus, JOBS of them at once; a table of executions and crashes at the
# end, non-zero exit on any crash. Artifacts stay in $(FUZZ_BUILD_DIR)/fuzz/.
fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_CXX_COMPILER=clang++ -DJARVIS_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) --parallel $(JOBS) --target fuzzers
	@JOBS=$(JOBS) bash tests/fuzz/run-fuzz.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

demo: build
	@$(BUILD_DIR)/service/jarvisd --demo

# make bench: the fan-out benchmark, jarvisd against npm socket.io (docs/PERFORMANCE.md); not in
# `make test`. Options go in BENCH_ARGS, e.g. make bench BENCH_ARGS="--clients 500".
.PHONY: bench
bench: build
	@BUILD_DIR=$(BUILD_DIR) bash tests/bench/run-fanout.sh $(BENCH_ARGS)
	@$(BUILD_DIR)/tests/bench/jarvis-bench-poll

# make bench-poll: the poll-cycle benchmark and, when simdjson is installed, the JSON readers
# (docs/PERFORMANCE.md).
.PHONY: bench-poll
bench-poll: build
	@$(BUILD_DIR)/tests/bench/jarvis-bench-poll
	@if [ -x $(BUILD_DIR)/tests/bench/jarvis-bench-json ]; then $(BUILD_DIR)/tests/bench/jarvis-bench-json; \
	else echo "jarvis-bench-json: not built (libsimdjson-dev missing; the readers' figures are in docs/PERFORMANCE.md)"; fi

# make bench-history: the history's memory per guest and its costs with 5000 guests
# (docs/PERFORMANCE.md). Options go in BENCH_ARGS, e.g. make bench-history BENCH_ARGS="--guests 1000".
.PHONY: bench-history
bench-history: build
	@$(BUILD_DIR)/tests/bench/jarvis-bench-history $(BENCH_ARGS)

# make bench-models: the console's guest model applying a 5000-guest snapshot (first fill,
# unchanged, 10% changed, inserts and removals), median and max ms, against the 5 ms target.
# Options in BENCH_ARGS (e.g. BENCH_ARGS="--path raw --scenario churn --view 1").
.PHONY: bench-models
bench-models: build
	@$(BUILD_DIR)/tests/bench/jarvis-bench-models $(BENCH_ARGS)

# make bench-terminal: terminal throughput and echo latency, jarvisd beside plain ssh -tt and npm
# socket.io + ssh2 (docs/PERFORMANCE.md). Options in BENCH_ARGS, e.g. BENCH_ARGS="--rounds 1".
.PHONY: bench-terminal
bench-terminal: build
	@BUILD_DIR=$(BUILD_DIR) bash tests/bench/run-terminal.sh $(BENCH_ARGS)

# make bench-console-terminal: the console's TerminalItem, 100 MB of `cat` output offscreen: MB/s,
# the longest frame gap and event-loop stall. Options in BENCH_ARGS, e.g. BENCH_ARGS="--mb 20".
.PHONY: bench-console-terminal
bench-console-terminal: build
	@$(BUILD_DIR)/tests/bench/jarvis-bench-terminalitem $(BENCH_ARGS)

# make bench-web: the main-thread time of one `vms` snapshot in the dashboard (chromium), 5000
# guests by default (docs/PERFORMANCE.md). Options in BENCH_ARGS, e.g. BENCH_ARGS="--samples 15".
.PHONY: bench-web
bench-web: build
	@JARVISD=$(abspath $(BUILD_DIR))/service/jarvisd node tests/web/snapshot-apply.mjs $(BENCH_ARGS)

# make screenshots: runs the browser test (ctest web_dashboard) and copies its desktop screenshot
# to docs/dashboard.png and a guest's charts to docs/dashboard-history.png (the README's pictures);
# every screenshot stays in $(BUILD_DIR)/tests/web/artifacts.
.PHONY: screenshots
screenshots: build
	@cd $(BUILD_DIR) && JARVIS_UPDATE_SCREENSHOT=1 ctest --output-on-failure -R '^web_dashboard$$'

# make package: jarvis-service, jarvis-setup and jarvis-console (.deb, CPack;
# installer/CMakeLists.txt) in $(BUILD_DIR)/packages.
.PHONY: package
package: build
	@cd $(BUILD_DIR) && cpack --config CPackConfig.cmake
	@ls -l $(BUILD_DIR)/packages/*.deb

# make test-install (root): the packages installed with apt-get into a fresh Debian 12 root (made
# by debootstrap once and cached in /var/cache/jarvis), jarvisd started there with the unit's
# ExecStart= against jarvis-pvesim, then purged (tests/installer/test-install.sh).
.PHONY: test-install
test-install: package
	@bash tests/installer/test-install.sh $(BUILD_DIR)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR) $(SANITIZE_BUILD_DIR) $(FUZZ_BUILD_DIR)

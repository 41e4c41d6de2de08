# Jarvis: the two commands of the quick start, and a few more.
#   make demo   installs what is missing, builds, runs jarvisd --demo on http://127.0.0.1:8080
#   make test   installs what is missing, builds, runs every test through ctest

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test demo format clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) --parallel $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900 $(CTEST_ARGS)

demo: build
	@$(BUILD_DIR)/service/jarvisd --demo

# make bench: the fan-out benchmark, jarvisd against npm socket.io (docs/PERFORMANCE.md); not in
# `make test`. Options go in BENCH_ARGS, e.g. make bench BENCH_ARGS="--clients 500".
.PHONY: bench
bench: build
	@BUILD_DIR=$(BUILD_DIR) bash tests/bench/run-fanout.sh $(BENCH_ARGS)
	@$(BUILD_DIR)/tests/bench/jarvis-bench-poll

# make bench-poll: only the poll-cycle benchmark (docs/PERFORMANCE.md).
.PHONY: bench-poll
bench-poll: build
	@$(BUILD_DIR)/tests/bench/jarvis-bench-poll

# make bench-terminal: terminal throughput and echo latency, jarvisd beside plain ssh -tt and npm
# socket.io + ssh2 (docs/PERFORMANCE.md). Options in BENCH_ARGS, e.g. BENCH_ARGS="--rounds 1".
.PHONY: bench-terminal
bench-terminal: build
	@BUILD_DIR=$(BUILD_DIR) bash tests/bench/run-terminal.sh $(BENCH_ARGS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)

# The two commands: `make run` and `make test` (as root on Debian 12; they install what is missing).
BUILD_DIR ?= build
RELEASE_DIR ?= build-release
ASAN_DIR ?= build-asan
BENCH_DIR ?= build-bench
# `make bench BENCH_MODE=smoke`: a seconds-long run of every code path of the bench.
BENCH_MODE ?= full
BENCH_SECONDS ?= 60
FUZZ_SECONDS ?= 600
SOAK_SECONDS ?= 3600
JOBS ?= $(shell nproc)
# `make build`: RelWithDebInfo (optimised, with debug info); `make test` builds Release.
BUILD_TYPE ?= RelWithDebInfo
# -Werror is for our own test command only (RTE_WERROR): a packager's newer compiler, with new
# warnings, must not break `make build`.
WERROR ?= OFF
# `make install [PREFIX=/usr] [DESTDIR=/tmp/stage]`
PREFIX ?= /usr/local

.PHONY: all deps build run install test test-release asan-build test-asan bench fuzz soak format clean image mixin

all: build

deps:
	scripts/install-deps.sh build

# Everything: the daemon and the test suites.
build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DRTE_BUILD_TESTS=ON \
	  -DRTE_WERROR=$(WERROR)
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Builds only the daemon it runs, in the same build dir as `make test` (which turns the tests
# and RTE_WERROR back on when it configures).
run:
	scripts/install-deps.sh run
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTE_BUILD_TESTS=OFF \
	  -DRTE_WERROR=OFF
	cmake --build $(BUILD_DIR) -j$(JOBS) --target redis-timeout-exporter
	scripts/run-local.sh

# The daemon built as packagers build it (Release), then installed: bin/, the default config
# under etc/redis-timeout-exporter/ (/etc for PREFIX=/usr; an existing config is kept), and the
# systemd unit, dashboards and rules under share/redis-timeout-exporter/.
install:
	scripts/install-deps.sh build
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DRTE_BUILD_TESTS=OFF -DRTE_WERROR=$(WERROR)
	cmake --build $(RELEASE_DIR) -j$(JOBS) --target redis-timeout-exporter
	DESTDIR="$(DESTDIR)" cmake --install $(RELEASE_DIR) --prefix "$(PREFIX)"

# The format check first: it takes seconds, the builds minutes. The test build is of the Release
# daemon (as packagers build it: -O3, which brings warnings of its own) with warnings as
# errors; the integration and stack tests run against that daemon. scripts/run-tests.sh then
# runs ctest, the bench's tests and its smoke run (about 20 s, no figure judged: it keeps
# `make bench` working), a 60 s soak (`make soak`), and the sanitizer stage, whose build
# overlaps the suites at idle CPU priority.
test:
	scripts/install-deps.sh test
	scripts/check-format.sh
	$(MAKE) build WERROR=ON BUILD_TYPE=Release
	BUILD_DIR=$(BUILD_DIR) ASAN_DIR=$(ASAN_DIR) scripts/run-tests.sh

# The daemon as packagers build it (Release), warnings as errors, without the tests.
test-release:
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release -DRTE_BUILD_TESTS=OFF -DRTE_WERROR=ON
	cmake --build $(RELEASE_DIR) -j$(JOBS) --target redis-timeout-exporter

# The daemon and the unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan-build:
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DRTE_SANITIZE=ON -DRTE_BUILD_TESTS=ON \
	  -DRTE_WERROR=ON
	cmake --build $(ASAN_DIR) -j$(JOBS) --target redis-timeout-exporter unit_tests

# The unit tests under the sanitizers, and the integration tests (of the normal build) against
# the sanitizer daemon; scripts/run-tests.sh says what is left out and why.
test-asan: asan-build
	cd $(ASAN_DIR) && ctest --output-on-failure -L unit
	RTE_TEST_EXPORTER_BINARY=$(CURDIR)/$(ASAN_DIR)/redis-timeout-exporter \
	  $(BUILD_DIR)/tests/integration_tests "~[persistence]~[scenario]"

# redis-timeout-exporter against Debian's prometheus-redis-exporter on the same loopback
# redis-servers: a table of figures, ratios and the goals of docs/performance.md. A Release
# build of its own; windows of BENCH_SECONDS each (about 4 minutes in all at 60).
bench:
	scripts/install-deps.sh bench
	CCACHE_BASEDIR=$(CURDIR) cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release \
	  -DRTE_BUILD_TESTS=OFF -DRTE_WERROR=OFF -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
	CCACHE_BASEDIR=$(CURDIR) cmake --build $(BENCH_DIR) -j$(JOBS) --target redis-timeout-exporter
	python3 bench/bench.py --exporter $(BENCH_DIR)/redis-timeout-exporter \
	  --seconds $(BENCH_SECONDS) $(if $(filter smoke,$(BENCH_MODE)),--smoke)

# The container image (Dockerfile; compiled in its build stage) with buildah, then its smoke
# test. `make test` builds it from the daemon it has just built instead (tests/deploy).
image:
	scripts/install-deps.sh test
	scripts/build-image.sh --smoke

# Regenerates the alert rules and dashboards from the jsonnet mixin (mixin/), then the
# Kubernetes objects generated from them; commit the result (tests/deploy fails on drift).
mixin:
	scripts/install-deps.sh test
	scripts/generate-mixin.sh
	scripts/generate-kubernetes.py

# The libFuzzer targets of fuzz/ (clang-14, ASan + UBSan), each run for FUZZ_SECONDS, seeded
# from tests/fixtures/; `make test` runs each for 3 s so they keep building and running.
fuzz:
	scripts/install-deps.sh test
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# scripts/soak.py for SOAK_SECONDS: 100 targets on 9 loopback redis-servers, 5 of them flapping,
# hung, out of memory, near maxclients or blocked in a 20 s cycle; a reload a minute; /metrics and
# /triage scraped without pause. Fails on RSS growth above 5% or 1 MiB (the larger), any fd or
# thread growth, a failed or slow scrape or reload. The daemon is built as `make run` builds it
# (the bench's packages bring python3 and redis-server); `make test` runs the soak for 60 s.
soak:
	scripts/install-deps.sh bench
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTE_BUILD_TESTS=OFF \
	  -DRTE_WERROR=OFF
	cmake --build $(BUILD_DIR) -j$(JOBS) --target redis-timeout-exporter
	python3 scripts/soak.py --exporter $(BUILD_DIR)/redis-timeout-exporter --seconds $(SOAK_SECONDS)

# Rewrites every C++ source in place with clang-format-14 and the root .clang-format.
format:
	scripts/check-format.sh --fix

clean:
	rm -rf $(BUILD_DIR) $(RELEASE_DIR) $(ASAN_DIR) $(BENCH_DIR) build-image build-fuzz

# The two commands: `make run` and `make test` (as root on Debian 12; they install what is missing).
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-asan bench clean

all: build

deps:
	scripts/install-deps.sh build

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS)

run:
	scripts/install-deps.sh run
	$(MAKE) build
	scripts/run-local.sh

test:
	scripts/install-deps.sh test
	$(MAKE) build
	cd $(BUILD_DIR) && ctest --output-on-failure -j2
	$(MAKE) test-asan

# The unit and integration tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
# The alert, dashboard and full-stack tests are left out here: they check Prometheus,
# Alertmanager and Grafana artefacts, and every exporter code path the stack touches is
# covered by the integration tests.
test-asan:
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DRTE_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j$(JOBS) --target unit_tests integration_tests
	cd $(ASAN_DIR) && ctest --output-on-failure -j2 -L "unit|integration"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)

# Thin wrapper over CMake/ctest. `make run` and `make test` install what they need first.
# Targets: deps npm-deps build run test test-lean bench asan fuzz image-check clean (see README.md).
BUILD ?= build
JOBS ?= $(shell nproc)
# Every Debian package the build, the tests, the benchmarks and the fuzzers need. Keep it in
# sync with the pkg_check_modules/find_* calls in CMakeLists.txt.
DEBIAN_PACKAGES = build-essential make cmake pkg-config ninja-build git \
  libluajit-5.1-dev luajit lua-lpeg lua-busted lua-cjson \
  libzstd-dev liblz4-dev libsnappy-dev liblzf-dev libxxhash-dev zlib1g-dev libzip-dev zip unzip zstd libdeflate-dev \
  libreadline-dev libsqlite3-dev sqlite3 libpq-dev postgresql libcurl4-openssl-dev libssl-dev librdkafka-dev \
  libmicrohttpd-dev wrk curl chromium python3 clang libclang-rt-14-dev llvm nodejs \
  libfaiss-dev libopenblas-dev liblapacke-dev libomp-dev libxgboost-dev \
  chromium chromium-driver yamllint debootstrap

# The sanitizer runs: abort on the first UBSan report, check leaks in the C tests.
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: deps npm-deps build run test test-lean bench asan fuzz image-check clean

# Test servers from the npm registry (s3rver and azurite for sources/), pinned by spec/support/npm's lock
# file, installed into $(BUILD)/npm (gitignored); only reinstalled when the lock file changes.
NPM_DIR = $(BUILD)/npm
npm-deps: deps
	@if [ ! -x $(NPM_DIR)/node_modules/.bin/s3rver ] || \
	    ! cmp -s spec/support/npm/package-lock.json $(NPM_DIR)/package-lock.json; then \
	  command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }; \
	  mkdir -p $(NPM_DIR) && cp spec/support/npm/package.json spec/support/npm/package-lock.json $(NPM_DIR)/ && \
	  cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error; \
	fi

# Install Debian packages only when one is missing, so repeated runs stay fast and offline:
# one dpkg-query for the whole list; apt-get update + install only for what is missing.
deps:
	@missing=$$(dpkg-query -W -f='$${Package} $${db:Status-Status}\n' $(DEBIAN_PACKAGES) 2>/dev/null \
	    | awk '$$2 == "installed" { ok[$$1] = 1 } END { n = split("$(DEBIAN_PACKAGES)", want, " "); \
	      for (i = 1; i <= n; i++) if (!(want[i] in ok)) printf "%s ", want[i] }'); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Analyse LOG, or an example log the project generates itself when LOG is not given.
run: build
	./tools/run-example.sh $(BUILD) "$(LOG)"

# The whole suite, then again in the configuration without the optional components
# (test-lean; LEAN=0 skips it). .ci/run calls this.
LEAN ?= 1
test: build npm-deps
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@if [ "$(LEAN)" = 1 ]; then $(MAKE) --no-print-directory test-lean; fi

# The same suite built without the optional components (no faiss, no XGBoost): sic analyze
# and everything else must work; tests that need them report themselves skipped.
test-lean: deps
	cmake -S . -B build-lean -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIC_WITH_FAISS=OFF -DSIC_WITH_XGBOOST=OFF >/dev/null
	cmake --build build-lean -j $(JOBS)
	$(MAKE) --no-print-directory npm-deps BUILD=build-lean
	cd build-lean && ctest --output-on-failure -j $(JOBS)

bench: build npm-deps
	cmake --build $(BUILD) -j $(JOBS) --target benchmarks
	./bench/run.sh $(BUILD)

# ASan + UBSan over the whole suite. C tests run instrumented with leak checking; busted
# specs run the uninstrumented luajit with libasan preloaded (set up in spec/CMakeLists.txt),
# leak checking included.
asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSIC_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	$(MAKE) npm-deps BUILD=build-asan
	cd build-asan && $(SAN_ENV) ctest --output-on-failure -j $(JOBS)

# libFuzzer targets in fuzz/ (clang); FUZZ_RUNS is passed to fuzz/run.sh.
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIC_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	./fuzz/run.sh build-fuzz $(FUZZ_RUNS)

# The Docker runtime stage proven without Docker: a debootstrap bookworm root with only
# infra/docker/runtime-packages.txt, `sic` installed into it, ldd and example + analyze inside.
image-check: build
	./infra/check/image_check.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-lean build-asan build-fuzz

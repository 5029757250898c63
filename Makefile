# Thin wrapper over CMake/ctest. `make run` and `make test` install what they need first.
BUILD ?= build
JOBS ?= $(shell nproc)
DEBIAN_PACKAGES = build-essential cmake pkg-config ninja-build \
  libluajit-5.1-dev luajit lua-lpeg lua-busted lua-cjson \
  libzstd-dev liblz4-dev libsnappy-dev liblzf-dev libxxhash-dev zlib1g-dev libzip-dev zip unzip \
  libreadline-dev libsqlite3-dev libpq-dev postgresql libcurl4-openssl-dev librdkafka-dev \
  libmicrohttpd-dev python3 clang libclang-rt-14-dev llvm

.PHONY: deps build run test bench asan fuzz clean

# Install Debian packages only when one is missing, so repeated runs stay fast and offline.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./tools/run-example.sh $(BUILD) $(LOG)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/run.sh $(BUILD)

asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSIC_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIC_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	./fuzz/run.sh build-fuzz $(FUZZ_RUNS)

clean:
	rm -rf $(BUILD) build-asan build-fuzz

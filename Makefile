# Developer entry points. `make test` is what CI runs (see .ci/run).

GO       ?= go
FUZZTIME ?= 20s
ADDR     ?= :8080
FUZZPKGS ?= ./websocket ./engineio ./socketio

# The bench module is optional: its targets run only once bench/go.mod exists.
HAVE_BENCH := $(wildcard bench/go.mod)

# BENCH_QUICK=1 makes make bench short: 100 ms per microbenchmark, the
# memory benchmark (BenchmarkIdleConn, which idles for seconds) left out,
# and a quick whole-server run that writes nothing.
BENCH_QUICK ?=
BENCHTIME   ?= $(if $(filter-out 0,$(BENCH_QUICK)),100ms,1s)
BENCHSKIP   ?= $(if $(filter-out 0,$(BENCH_QUICK)),^BenchmarkIdleConn$$,)

.PHONY: run test test-deps vet bench bench-build bench-socketio fuzz

run:
	$(GO) run ./cmd/duplex serve --addr $(ADDR)

test-deps:
	./scripts/install-test-deps.sh

vet:
	$(GO) vet ./...

# ./... includes test/interop, the tests against Node.js ws and Python
# websockets; test-deps installs those peers.
test: test-deps vet
	$(GO) test -race -count=1 -timeout 12m ./...
	# Allocation counts need a build without the race detector.
	$(GO) test -count=1 -run 'Allocations' ./websocket/
ifneq ($(HAVE_BENCH),)
	cd bench && $(GO) test -count=1 -timeout 5m -run . ./...
endif

# The microbenchmarks, then the whole-server benchmark (bench/run), which
# writes its section of bench/RESULTS.md.
bench:
	$(GO) test -run '^$$' -bench . -skip '$(BENCHSKIP)' -benchmem -benchtime $(BENCHTIME) ./websocket/
ifneq ($(HAVE_BENCH),)
	cd bench && $(GO) test -run '^$$' -bench . -skip '$(BENCHSKIP)' -benchmem -benchtime $(BENCHTIME) ./...
	$(MAKE) bench-build
	BENCH_QUICK=$(BENCH_QUICK) ./bench/run
endif

# Builds the whole-server benchmark's testees into bench/bin/: one binary
# per Go library, and bench/bin/node, which runs bench/node/server.js with
# the npm packages of bench/node/package-lock.json (left out without npm);
# and the Socket.IO benchmark's: bench/bin/sio-duplex and bench/bin/sio-node
# (bench/node/sio-server.js).
bench-build:
	cd bench && $(GO) build -o bin/ ./testee/...
	cd bench && $(GO) build -o bin/sio-duplex ./siotestee/duplex
	@if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then \
		echo "cd bench/node && npm ci"; \
		(cd bench/node && npm ci --no-audit --no-fund --loglevel=error) && \
		cp bench/node/testee.sh bench/bin/node && chmod +x bench/bin/node && \
		cp bench/node/sio-testee.sh bench/bin/sio-node && chmod +x bench/bin/sio-node; \
	else \
		echo "bench-build: no node or npm: the node testees are left out"; \
	fi

# The Socket.IO benchmark, Duplex against Node.js socket.io
# (bench/cmd/siobench), which writes its section of bench/RESULTS.md
# (BENCH_QUICK=1: a short run that writes nothing). It waits for
# /tmp/duplex-bench.lock, so that no other benchmark measures meanwhile.
BENCH_LOCK ?= $(if $(shell command -v flock),flock /tmp/duplex-bench.lock,)
bench-socketio: bench-build
	cd bench && $(GO) build -o bin/siobench ./cmd/siobench
	cd bench && BENCH_QUICK=$(BENCH_QUICK) $(BENCH_LOCK) bin/siobench

# Runs every Fuzz target of FUZZPKGS for FUZZTIME each.
fuzz:
	@set -e; \
	for pkg in $(FUZZPKGS); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz: $$pkg $$t for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Developer entry points. `make test` is what CI runs (see .ci/run).

GO       ?= go
FUZZTIME ?= 20s
ADDR     ?= :8080
FUZZPKGS ?= ./websocket ./engineio ./socketio

# The bench module is optional: its targets run only once bench/go.mod exists.
HAVE_BENCH := $(wildcard bench/go.mod)

.PHONY: run test test-deps vet bench fuzz

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./websocket/
ifneq ($(HAVE_BENCH),)
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...
endif

# Runs every Fuzz target of FUZZPKGS for FUZZTIME each.
fuzz:
	@set -e; \
	for pkg in $(FUZZPKGS); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz: $$pkg $$t for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Every command a person runs is a target here and in README.md.
GO               ?= go
BIN              := $(CURDIR)/bin
TEMPORAL_VERSION := v1.5.1
TEMPORAL         := $(BIN)/temporal
STATICCHECK      := honnef.co/go/tools/cmd/staticcheck@v0.8.2
SIM_ADDR         ?= 127.0.0.1:8089
SIM_FLAGS        ?= --seed 1 --users 1000 --groups 20 --roles 40 --apps 30
TEST_FLAGS       ?= -count=1 -timeout 20m
# The race detector runs on every package with concurrency of its own. The
# store's conformance suites (SQLite and PostgreSQL, a database doing the
# concurrency) run without it: -race doubles their time and finds nothing
# there that the database does not already serialise.
NORACE_PKGS      := ./directory/
# -race also turns on checkptr, a run-time check of every unsafe pointer
# conversion. modernc.org's SQLite is C translated to Go, unsafe pointers
# throughout: checkptr there cost about 15% of the bulk end-to-end test's
# CPU and checks none of our code (it stays on for ours: seal uses unsafe).
# The race detector stays on for them too.
RACE_FLAGS       := -race -gcflags=modernc.org/...=-d=checkptr=0
# The end-to-end tests take longest: listed first, go test starts them first.
E2E_PKGS         := ./testsuite/
# The 10,000-user bulk test runs in a pass of its own, without -race: under
# it the test costs seven times the CPU (188 CPU-s instead of 28, half of
# make test's), and the code it drives runs under -race in the smaller bulk
# end-to-end tests and the activities' and workflows' unit tests (chunks,
# resume, continue-as-new).
BULK_E2E         := ^TestBulkSuspendGroupOf10000$$
RACE_PKGS        = $(E2E_PKGS) $(filter-out $(addprefix github.com/olflow/olflow/,$(patsubst ./%/,%,$(NORACE_PKGS) $(E2E_PKGS))),$(shell $(GO) list ./...))
OLFLOW           := $(BIN)/olflow
# Every port 0: the CI demo and tests never collide with a running one.
DEMO_CI_FLAGS    := --exit --dir tmp/demo-ci --port 0 --ui-port 0 --codec-port 0 --sim-port 0 --metrics-port 0
COMPOSE          ?= docker-compose
# RELEASE names the corpus folder `make histories` records into.
VERSION          := $(shell cat VERSION)
RELEASE          ?= $(VERSION)
HISTORIES        := testsuite/testdata/histories
# The build ID a versioned worker declares (olflow version): the release and
# the commit, marked -dirty when the tree has uncommitted changes.
GIT_SHA          := $(shell git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
BUILD_ID         ?= $(VERSION)+$(GIT_SHA)
BUILDINFO        := github.com/olflow/olflow/internal/buildinfo
LDFLAGS          := -X $(BUILDINFO).Version=$(VERSION) -X $(BUILDINFO).BuildID=$(BUILD_ID)

.PHONY: print-build-id build test test-race test-norace test-bulk lint temporal sim bench bench-scale fuzz chaos histories replay-check clean demo demo-ci worker codec-server \
	webhook-server compose-env compose-check olflow ui-check

## build: compile every command into ./bin, with the build ID linked (bin/olflow version)
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# olflow is rebuilt every time: go build is quick when nothing changed.
olflow:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/olflow

## demo: dev server with UI, simulator (3,000 users), codec server and worker;
## connect with a live progress bar, onboard a new hire; Ctrl-C stops it all
demo: $(TEMPORAL) olflow
	$(GO) build -o $(BIN)/ ./cmd/olflow-demo
	$(BIN)/olflow-demo demo --temporal-cli $(TEMPORAL)

## demo-ci: the same demo on free ports, exiting after its summary
demo-ci: $(TEMPORAL) olflow
	$(GO) build -o $(BIN)/ ./cmd/olflow-demo
	$(BIN)/olflow-demo demo --temporal-cli $(TEMPORAL) $(DEMO_CI_FLAGS)

## ui-check: the demo stack kept running, the Temporal UI driven in headless
## Chromium (Debian package chromium): the list by integration, a decoded
## connect input, a running sync's live count, failed runs, the schedule;
## screenshots in tmp/ui
ui-check: $(TEMPORAL)
	OLFLOW_UI_CHECK=1 OLFLOW_TEMPORAL_CLI=$(TEMPORAL) OLFLOW_UI_DIR=$(CURDIR)/tmp/ui \
	  $(GO) test -count=1 -timeout 10m -run '^TestUICheck$$' ./testsuite/

## worker: run a worker with the OLFLOW_* settings of this shell
worker: olflow
	$(OLFLOW) worker

## codec-server: run the codec server with the OLFLOW_* settings of this shell
codec-server: olflow
	$(OLFLOW) codec-server

## webhook-server: receive OneLogin event webhooks with the OLFLOW_* settings of this shell
webhook-server: olflow
	$(OLFLOW) webhook-server

## compose-env: write .env with fresh keys and a codec token for docker-compose
compose-env: olflow
	@if [ -e .env ]; then echo ".env exists; not overwriting it"; exit 0; fi; \
	umask 077; { \
	  echo "OLFLOW_CODEC_KEYS=$$($(OLFLOW) keygen --id codec1)"; \
	  echo "OLFLOW_SEAL_KEYS=$$($(OLFLOW) keygen --id seal1)"; \
	  echo "OLFLOW_CODEC_TOKEN=$$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; \
	} > .env; echo "wrote .env (keys and the codec token; keep it private)"

## compose-check: validate docker-compose.yml (Debian package docker-compose)
compose-check:
	$(COMPOSE) -f docker-compose.yml config -q

## test: every test (PostgreSQL must be reachable; see README); the
## end-to-end tests run on a dev server from the temporal CLI. Its three
## passes run at once: test-race (the race detector on), test-norace (the
## store suites) and test-bulk (the 10,000-user bulk test)
test: $(TEMPORAL)
	@$(MAKE) --no-print-directory --output-sync=target -j3 test-race test-norace test-bulk

test-race: $(TEMPORAL)
	$(GO) test $(RACE_FLAGS) $(TEST_FLAGS) -skip '$(BULK_E2E)' $(RACE_PKGS)

test-norace:
	$(GO) test $(TEST_FLAGS) $(NORACE_PKGS)

test-bulk: $(TEMPORAL)
	$(GO) test $(TEST_FLAGS) -run '$(BULK_E2E)' $(E2E_PKGS)

## histories: record this release's replay corpus into
## testsuite/testdata/histories/$(RELEASE) from the end-to-end tests; it
## never overwrites or deletes a release folder (the corpus only grows)
histories: $(TEMPORAL)
	@if [ -e $(HISTORIES)/$(RELEASE) ]; then \
	  echo "$(HISTORIES)/$(RELEASE) exists: the corpus only grows. Bump VERSION or set RELEASE=…"; exit 1; fi
	OLFLOW_RECORD_HISTORIES=$(RELEASE) $(GO) test -count=1 -timeout 20m ./testsuite/
	$(GO) test -count=1 -run 'TestReplayCorpus|TestNewestRelease' ./workflows/

## replay-check: replay every release's histories against this checkout
## (no server needed; part of make test too)
replay-check:
	$(GO) test -count=1 -run 'TestReplayCorpus|TestNewestRelease|TestReplayCatches' ./workflows/

## print-build-id: the build ID make links into olflow (for docker build --build-arg BUILD_ID=…)
print-build-id:
	@echo $(BUILD_ID)

## lint: go vet, gofmt, and staticcheck when it installs
lint:
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if $(GO) run $(STATICCHECK) -version >/dev/null 2>&1; then $(GO) run $(STATICCHECK) ./...; \
	else echo "staticcheck could not be installed here; skipped"; fi

## temporal: install the temporal CLI (dev server + UI) into ./bin when missing
temporal: $(TEMPORAL)
$(TEMPORAL):
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

## sim: run the OneLogin simulator in the foreground
sim:
	$(GO) run ./cmd/olsim --addr $(SIM_ADDR) $(SIM_FLAGS)

## bench: the benchmarks (not part of make test)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-scale: dev server (tuned) + simulators + an olflow worker process; prints
## every row of the scale table and rewrites BENCHMARKS.md "Scale" (not part of
## make test; about an hour at the default sizes: BENCH_SCALE_FLAGS shrinks it,
## e.g. --tenants 50 --storm 3m; go run ./cmd/benchscale -h lists the sizes)
BENCH_SCALE_FLAGS ?=
bench-scale: $(TEMPORAL) olflow
	$(GO) run ./cmd/benchscale --temporal-cli bin/temporal --olflow bin/olflow $(BENCH_SCALE_FLAGS)

## chaos: CHAOS_ROUNDS rounds of syncs and a bulk action while workers are
## killed, the dev server restarts and OneLogin fails and changes; prints
## "N/N rounds equal, 0 false deletions, 0 double writes" (RELIABILITY.md)
CHAOS_ROUNDS ?= 20
CHAOS_USERS  ?= 5000
CHAOS_BULK   ?= 200
chaos: $(TEMPORAL)
	$(GO) build -o $(BIN)/ ./cmd/olflow ./cmd/olsim
	CHAOS_ROUNDS=$(CHAOS_ROUNDS) CHAOS_USERS=$(CHAOS_USERS) CHAOS_BULK=$(CHAOS_BULK) CHAOS_BIN=$(BIN) \
	  CHAOS_TEMPORAL=$(TEMPORAL) $(GO) run ./testsuite/chaos

## fuzz: run each fuzz target for FUZZTIME (seed corpora already run in make test)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./onelogin/ -run '^$$' -fuzz '^FuzzParseBody$$' -fuzztime $(FUZZTIME)
	$(GO) test ./onelogin/ -run '^$$' -fuzz '^FuzzNormalizeSubdomain$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN) coverage.out tmp

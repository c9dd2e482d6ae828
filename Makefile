# Every command a person runs is a target here and in README.md.
GO               ?= go
BIN              := $(CURDIR)/bin
TEMPORAL_VERSION := v1.5.1
TEMPORAL         := $(BIN)/temporal
STATICCHECK      := honnef.co/go/tools/cmd/staticcheck@v0.8.2
SIM_ADDR         ?= 127.0.0.1:8089
SIM_FLAGS        ?= --seed 1 --users 1000 --groups 20 --roles 40 --apps 30
TEST_FLAGS       ?= -race -count=1 -timeout 20m

.PHONY: build test lint temporal sim bench fuzz clean

## build: compile every command into ./bin
build:
	$(GO) build -o $(BIN)/ ./cmd/...

## test: every test, race detector on (PostgreSQL must be reachable; see README)
test:
	$(GO) test $(TEST_FLAGS) ./...

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

## fuzz: run each fuzz target for FUZZTIME (seed corpora already run in make test)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./onelogin/ -run '^$$' -fuzz '^FuzzParseBody$$' -fuzztime $(FUZZTIME)
	$(GO) test ./onelogin/ -run '^$$' -fuzz '^FuzzNormalizeSubdomain$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN) coverage.out

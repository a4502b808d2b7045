# orgd — see README.md. Everything a fresh machine needs is fetched by the Go
# module proxy; nothing else has to be installed.

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
RUN_DIR   := $(CURDIR)/.orgd
RUN_SOCK  := $(RUN_DIR)/orgd.sock

# Fuzz targets, as package:Target. `make test` runs each for FUZZ_SHORT,
# `make fuzz` for FUZZTIME. New inputs that fail are written under the
# package's testdata/fuzz/, where go test keeps running them.
FUZZ_TARGETS := \
	./internal/org:FuzzSlug \
	./internal/org:FuzzValidateName \
	./internal/org:FuzzDirectoryCursor \
	./internal/org:FuzzParseFilter \
	./internal/org:FuzzParseSelector \
	./internal/document:FuzzParse \
	./internal/mongo:FuzzIsTenantDatabase \
	./internal/auth:FuzzVerify \
	./internal/auth:FuzzParsePublicKey \
	./internal/server:FuzzCheckRequest \
	./internal/server:FuzzScanRequest \
	./internal/server:FuzzDecodeParams \
	./internal/server:FuzzLineFraming \
	./internal/server:FuzzUnmarshalKnown \
	./internal/server:FuzzEncodeResult \
	./rpc:FuzzParseAddr
FUZZTIME   ?= 60s
FUZZ_SHORT ?= 3s

# run-fuzz runs every fuzz target for $(1). Go 1.26's fuzzing coordinator
# can report its own -fuzztime deadline as a failure, "context deadline
# exceeded" with no failing input (golang/go#75804, fixed in Go 1.27); such
# a run is said so and passes. Any run that writes a failing input fails.
define run-fuzz
@set -e; for target in $(FUZZ_TARGETS); do \
	pkg=$${target%%:*}; name=$${target##*:}; \
	echo "fuzz $$name ($$pkg) for $(1)"; \
	log=$$(mktemp); \
	if $(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(1) $$pkg >$$log 2>&1; then \
		cat $$log; rm -f $$log; \
	elif grep -qx '[[:space:]]*context deadline exceeded' $$log && \
		! grep -q -e 'Failing input written' -e "^[[:space:]]*--- FAIL: $$name/" $$log; then \
		cat $$log; rm -f $$log; \
		echo "fuzz $$name: the fuzztime deadline ended the run with no failing input (golang/go#75804); not a failure"; \
	else \
		cat $$log; rm -f $$log; exit 1; \
	fi; \
done
endef

.PHONY: all build run test test-short fuzz reliability tmux vet fmt-check clean bench

all: build

## build: bin/orgd and bin/orgtui
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## run: orgd on the embedded store under ./.orgd/ and orgtui on it; quitting
## orgtui stops that orgd (its log is ./.orgd/orgd.log)
run: build
	@scripts/run.sh $(BIN)

## test: every test, with the race detector, then each fuzz target briefly
## (installs what the tests need when it is missing: tmux, systemd, dpkg, rpm)
test: tmux
	@# The tests build orgd, orgtui and the store process with make build's
	@# flags; compiling them once here first spares the parallel test
	@# binaries from compiling the same packages side by side.
	CGO_ENABLED=0 $(GO) build -trimpath ./cmd/... ./internal/testenv/storeproc
	$(GO) test -race -count=1 -timeout 15m ./...
	$(call run-fuzz,$(FUZZ_SHORT))

# The fault and load tests, which make test runs small. `make reliability`
# runs them at full size and writes the load test's latency table (p50
# and p99 per method) to RELIABILITY_REPORT.
RELIABILITY_TESTS  := TestKillDuringBurstsLosesNothing|TestLoadMixedWorkload|TestOverloadIsAnsweredHonestly|TestASlowStoreIsAnsweredBusyOrUnknownNeverUnavailable|TestStoreKilledMidLoadLeavesNothingHalfDone|TestStoreOutageFailsFastAndRecovers|TestAClientThatNeverReadsCannotGrowOrgdsMemory|TestIdleConnectionsAreClosedEvenMidLine|TestMaxConnsIsEnforcedWithAClearError|TestTwoProcessesFollowEachOtherWithinTheRefreshInterval|TestTwoDaemonsOnOneStoreSeeEachOthersChanges|TestConcurrentCreatesOnTwoDaemonsMakeExactlyOne|TestCrashDuring.*|TestReconcileRepairsWithoutARestart|TestTheStatusBarShowsAStoreOutageAndItsEnd
CRASH_TRIALS       ?= 50
LOAD_SECONDS       ?= 60
RELIABILITY_REPORT ?= $(BIN)/reliability-load.md
OVERLOAD_REPORT    ?= $(BIN)/reliability-overload.md

## reliability: the fault and load tests at full size: CRASH_TRIALS (50)
## kill -9 trials, LOAD_SECONDS (60) of 200 connections, without the race
## detector so that latencies mean something; the latency table goes to
## RELIABILITY_REPORT (bin/reliability-load.md), the overload test's (200
## writers, 20 readers) to OVERLOAD_REPORT (bin/reliability-overload.md)
reliability:
	@mkdir -p $(dir $(RELIABILITY_REPORT))
	CGO_ENABLED=0 $(GO) build -trimpath ./cmd/... ./internal/testenv/storeproc
	ORGD_CRASH_TRIALS=$(CRASH_TRIALS) ORGD_LOAD_SECONDS=$(LOAD_SECONDS) ORGD_LOAD_REPORT=$(abspath $(RELIABILITY_REPORT)) \
		ORGD_OVERLOAD_REPORT=$(abspath $(OVERLOAD_REPORT)) \
		$(GO) test -count=1 -timeout 60m -v -run '^($(RELIABILITY_TESTS))$$' ./internal/daemon/ ./internal/tui/
	@echo "load report: $(RELIABILITY_REPORT); overload report: $(OVERLOAD_REPORT)"

## fuzz: each fuzz target for FUZZTIME (default 60s), one after the other
fuzz:
	$(call run-fuzz,$(FUZZTIME))

## tmux: orgtui's end-to-end tests run orgtui inside tmux, locally and
## through OpenSSH's client (ssh, sftp, ssh-keygen)
tmux:
	@command -v tmux >/dev/null 2>&1 || { \
		echo "installing tmux (Debian package) for orgtui's end-to-end test"; \
		{ apt-get install -y tmux >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y tmux >/dev/null 2>&1; }; } || \
		echo "warning: tmux could not be installed; orgtui's end-to-end test will be skipped"; \
	}
	@{ command -v ssh && command -v sftp && command -v ssh-keygen && command -v ssh-agent; } >/dev/null 2>&1 || { \
		echo "installing openssh-client (Debian package) for the SSH end-to-end test"; \
		{ apt-get install -y openssh-client >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y openssh-client >/dev/null 2>&1; }; } || \
		echo "warning: openssh-client could not be installed; the SSH end-to-end test will be skipped"; \
	}

## bench: orgd against the targets of SPEC §7, each beside a baseline
## measured in the same run (orgd in process on the embedded store, 10,000
## organizations, 16 clients); prints the table and writes it into
## docs/benchmarks.md. BENCH_QUICK=1: a reduced run (1,000 organizations,
## shorter windows) that writes nothing. Takes the whole machine for a while.
BENCH_QUICK ?=
bench: build tmux
	$(GO) run ./internal/bench/orgbench -orgd $(BIN)/orgd -orgtui $(BIN)/orgtui \
		$(if $(filter-out 0,$(BENCH_QUICK)),-quick,-out docs/benchmarks.md)

## test-short: the quick tests only
test-short:
	$(GO) test -short -count=1 ./...

# Packages (make package): nfpm runs as a Go tool at a fixed version.
DIST           ?= dist
STAGE          := $(DIST)/stage
NFPM           ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
GOARCH         ?= $(shell $(GO) env GOARCH)
PKG_MAINTAINER ?= orgd maintainers <orgd@example.org>
# Debian and RPM versions must start with a digit and have no "-": v1.2.3
# becomes 1.2.3, v1.2.3-4-gabcdef 1.2.3.4.gabcdef, and a commit that no tag
# names, 0b2e698-dirty, 0.0.0~git0b2e698.dirty (sorting before any release).
PKG_VERSION    ?= $(shell echo '$(VERSION)' | sed -e 's/^v\([0-9]\)/\1/' -e '/^[0-9][0-9]*\.[0-9]/!s/^/0.0.0~git/' -e 's/-/./g')

.PHONY: test-deps completions package

# The packaging tests need a few Debian packages; make test installs them.
test: test-deps

## test-deps: the Debian packages the packaging tests use, if missing
test-deps:
	@command -v systemd-analyze >/dev/null && command -v systemd-socket-activate >/dev/null || \
		{ apt-get update && apt-get install -y systemd; } || \
		echo "could not install systemd; the tests that need it will say so and skip"
	@command -v dpkg-deb >/dev/null && command -v rpm >/dev/null || \
		{ apt-get update && apt-get install -y dpkg rpm; } || \
		echo "could not install dpkg and rpm; the package tests that need them will say so and skip"
	@command -v zsh >/dev/null && command -v fish >/dev/null && [ -f /usr/share/bash-completion/bash_completion ] || \
		{ apt-get update && apt-get install -y bash-completion zsh fish; } || \
		echo "could not install bash-completion, zsh and fish; the completion tests that need them will say so and skip"

## completions: bash, zsh and fish completions of every built binary, in $(STAGE)/completions
completions: build
	@rm -rf $(STAGE)/completions
	@mkdir -p $(STAGE)/completions/bash $(STAGE)/completions/zsh $(STAGE)/completions/fish
	@for b in orgd orgtui; do \
		[ -x $(BIN)/$$b ] || continue; \
		if timeout 10 $(BIN)/$$b completion bash </dev/null >$(STAGE)/completions/bash/$$b 2>/dev/null && \
			timeout 10 $(BIN)/$$b completion zsh </dev/null >$(STAGE)/completions/zsh/_$$b 2>/dev/null && \
			timeout 10 $(BIN)/$$b completion fish </dev/null >$(STAGE)/completions/fish/$$b.fish 2>/dev/null; then \
			echo "completions: $$b"; \
		else \
			echo "completions: $$b has no completion command; packaged without completions"; \
			rm -f $(STAGE)/completions/*/$$b $(STAGE)/completions/*/_$$b $(STAGE)/completions/*/$$b.fish; \
		fi; \
	done

## package: .deb and .rpm of orgd (and orgtui when built) in $(DIST)/
package: build completions
	@rm -rf $(STAGE)/bin
	@mkdir -p $(STAGE)/bin
	@for b in orgd orgtui; do [ ! -x $(BIN)/$$b ] || cp $(BIN)/$$b $(STAGE)/bin/; done
	@for p in deb rpm; do \
		ORGD_STAGE='$(abspath $(STAGE))' ORGD_PKG_VERSION='$(PKG_VERSION)' ORGD_ARCH='$(GOARCH)' \
		ORGD_MAINTAINER='$(PKG_MAINTAINER)' \
		$(NFPM) package --config packaging/nfpm.yaml --packager $$p --target $(DIST)/ || exit 1; \
	done

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN) $(DIST)

# orgd — see README.md. Everything a fresh machine needs is fetched by the Go
# module proxy; nothing else has to be installed.

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
RUN_DIR   := $(CURDIR)/.orgd
RUN_SOCK  := $(RUN_DIR)/orgd.sock

.PHONY: all build run test test-short tmux vet fmt-check clean

all: build

## build: bin/orgd and bin/orgtui
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## run: orgd on the embedded store under ./.orgd/ and orgtui on it; quitting
## orgtui stops that orgd (its log is ./.orgd/orgd.log)
run: build
	@scripts/run.sh $(BIN)

## test: every test, with the race detector (installs tmux for orgtui's
## end-to-end test when it is missing)
test: tmux
	$(GO) test -race -count=1 -timeout 15m ./...

## tmux: orgtui's end-to-end test runs orgtui inside tmux
tmux:
	@command -v tmux >/dev/null 2>&1 || { \
		echo "installing tmux (Debian package) for orgtui's end-to-end test"; \
		{ apt-get install -y tmux >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y tmux >/dev/null 2>&1; }; } || \
		echo "warning: tmux could not be installed; orgtui's end-to-end test will be skipped"; \
	}

## test-short: the quick tests only
test-short:
	$(GO) test -short -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN)

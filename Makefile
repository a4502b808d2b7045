# orgd — see README.md. Everything a fresh machine needs is fetched by the Go
# module proxy; nothing else has to be installed.

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
RUN_DIR   := $(CURDIR)/.orgd
RUN_SOCK  := $(RUN_DIR)/orgd.sock

.PHONY: all build run test test-short vet fmt-check clean

all: build

## build: bin/orgd (and bin/orgtui once it exists)
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## run: orgd in the foreground on the embedded store under ./.orgd/
run: build
	@mkdir -p $(RUN_DIR)
	@echo "orgd: embedded store in $(RUN_DIR), socket $(RUN_SOCK)"
	@echo "  in another terminal:"
	@echo "    export ORGD_ADDR=unix://$(RUN_SOCK)"
	@echo "    $(BIN)/orgd call system.health"
	@echo "    $(BIN)/orgd call auth.bootstrap '{\"email\":\"you@example.com\",\"password\":\"choose-a-password\"}'"
	@echo "  stop with ctrl+c"
	$(BIN)/orgd serve --data-dir $(RUN_DIR) --listen unix://$(RUN_SOCK)

## test: every test, with the race detector
test:
	$(GO) test -race -count=1 -timeout 15m ./...

## test-short: the quick tests only
test-short:
	$(GO) test -short -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN)

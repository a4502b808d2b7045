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
	./internal/auth:FuzzVerify \
	./internal/server:FuzzCheckRequest \
	./internal/server:FuzzDecodeParams \
	./rpc:FuzzParseAddr
FUZZTIME   ?= 60s
FUZZ_SHORT ?= 3s

# run-fuzz runs every fuzz target for $(1).
define run-fuzz
@set -e; for target in $(FUZZ_TARGETS); do \
	pkg=$${target%%:*}; name=$${target##*:}; \
	echo "fuzz $$name ($$pkg) for $(1)"; \
	$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(1) $$pkg; \
done
endef

.PHONY: all build run test test-short fuzz vet fmt-check clean

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

## test: every test, with the race detector, then each fuzz target briefly
test:
	$(GO) test -race -count=1 -timeout 15m ./...
	$(call run-fuzz,$(FUZZ_SHORT))

## fuzz: each fuzz target for FUZZTIME (default 60s), one after the other
fuzz:
	$(call run-fuzz,$(FUZZTIME))

## test-short: the quick tests only
test-short:
	$(GO) test -short -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf $(BIN)

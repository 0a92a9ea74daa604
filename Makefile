# Every tool is pinned here and built from the Go module proxy into bin/; nothing
# installed by hand is relied on, and nothing downloads a prebuilt binary.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

TEMPORAL_CLI_VERSION  := v1.5.1
WORKFLOWCHECK_VERSION := v0.6.0

GO  ?= go
BIN := $(CURDIR)/bin

# build is phony: go's own cache makes an unchanged rebuild cheap.
.PHONY: build run test lint bench compose-check clean browser

build: ## the l2c binary, bin/l2c
	$(GO) build -o bin/l2c ./cmd/l2c

# go_install installs a pinned tool into bin/ unless the binary there was built from
# exactly that module version (read back with `go version -m`), so a changed pin
# rebuilds it and an up-to-date one costs nothing. The targets are phony-ish
# (FORCE) for that reason; the check itself is quick.
#   $(1) package path  $(2) module path  $(3) version
define go_install
	@if ! $(GO) version -m $@ 2>/dev/null | grep -Eq '^[[:space:]]+mod[[:space:]]+$(2)[[:space:]]+$(3)([[:space:]]|$$)'; then \
		echo "go install $(1)@$(3)"; \
		GOBIN=$(BIN) $(GO) install $(1)@$(3); \
	fi
endef

bin/temporal: FORCE ## Temporal CLI (dev server) used by `l2c dev` and tests
	$(call go_install,github.com/temporalio/cli/cmd/temporal,github.com/temporalio/cli,$(TEMPORAL_CLI_VERSION))

bin/workflowcheck: FORCE ## static check for non-deterministic workflow code
	$(call go_install,go.temporal.io/sdk/contrib/tools/workflowcheck,go.temporal.io/sdk/contrib/tools/workflowcheck,$(WORKFLOWCHECK_VERSION))

# The binary is built, then run directly (not `go run`), so Ctrl-C reaches l2c
# itself and a clean shutdown exits 0.
run: bin/temporal build ## everything on this machine: PostgreSQL, Temporal, worker, API
	bin/l2c dev

# Test binaries are built in parallel, then run one package at a time: each
# integration package starts its own Temporal dev server and database, and two
# of them at once on two cores make timing-sensitive tests flaky.
test: bin/temporal browser ## all tests; integration tests start their own database and Temporal
	$(GO) test -count=1 -run '^$$' ./... > /dev/null
	$(GO) test -count=1 -p 1 -timeout 10m ./...

lint: bin/workflowcheck
	$(GO) vet ./...
	bin/workflowcheck ./workflows/...

# The pages' tests drive Debian's chromium, and Chinese pages need a font with
# the characters. As root (CI, the dev container) they are installed when
# missing; elsewhere the browser tests skip, unless CI=true makes that a failure.
BROWSER_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
browser: ## chromium and a Chinese font for the browser tests
	@if ! command -v chromium >/dev/null 2>&1 || [ ! -e $(BROWSER_FONT) ]; then \
		if [ "$$(id -u)" -eq 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; \
		else \
			echo "chromium or fonts-wqy-zenhei is missing (apt-get install chromium fonts-wqy-zenhei): the browser tests skip"; \
		fi; \
	fi

# Benchmarks print their results on lines starting with BENCH; only those are
# shown. pipefail keeps a failing `go test` failing the target.
bench: bin/temporal
	$(GO) test -run '^$$' -bench . -benchtime=1x ./... | { grep '^BENCH' || true; }

compose-check: ## validate docker-compose.yml, if docker-compose is installed
	@if command -v docker-compose >/dev/null 2>&1; then \
		L2C_AUDIT_KEY=$${L2C_AUDIT_KEY:-compose-check-only} docker-compose config -q && echo "docker-compose.yml: ok"; \
	else \
		echo "compose-check skipped: docker-compose is not installed"; \
	fi

clean: ## build outputs; .data/ (the dev database and Temporal state) is kept
	rm -rf bin

FORCE:

# Remora developer entry points:
#   make run    bring up Postgres/Redis (installing them if needed) and the PCE in dev mode
#   make test   everything CI checks: vet, staticcheck, gofmt, OpenAPI lint, go test -race
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
GOFMT ?= gofmt

# Where services.sh keeps its state (Redis data dir, Postgres passfile).
REMORA_DATA_DIR ?= $(CURDIR)/.remora
export REMORA_DATA_DIR
ifneq ($(wildcard $(REMORA_DATA_DIR)/pgpass),)
export PGPASSFILE := $(REMORA_DATA_DIR)/pgpass
endif

# Services the tests use: an admin connection (tests create throwaway databases
# through it) and a Redis.
REMORA_TEST_DATABASE_URL ?= postgres://localhost:5432/postgres?sslmode=disable
REMORA_TEST_REDIS_URL ?= redis://localhost:6379/0
export REMORA_TEST_DATABASE_URL REMORA_TEST_REDIS_URL

# services.sh may write the passfile during this very run, after make read this
# file, so recipes that talk to Postgres re-check for it in the same shell line.
PGPASS_ENV = if [ -f "$$REMORA_DATA_DIR/pgpass" ]; then export PGPASSFILE="$$REMORA_DATA_DIR/pgpass"; fi
# Ensure the services the tests will use (not necessarily the app's).
TEST_SERVICES = REMORA_DATABASE_URL="$$REMORA_TEST_DATABASE_URL" REMORA_REDIS_URL="$$REMORA_TEST_REDIS_URL" infra/dev/services.sh ensure

.PHONY: build run test vet staticcheck fmt-check lint-spec generate bench fuzz services tools clean

build:
	$(GO) build -o bin/remora ./cmd/remora
ifneq ($(wildcard cmd/remora-ven/*.go),)
	$(GO) build -o bin/remora-ven ./cmd/remora-ven
endif

run:
	infra/dev/services.sh ensure
	@$(MAKE) --no-print-directory build
	$(PGPASS_ENV); bin/remora migrate --create-database
	$(PGPASS_ENV); exec bin/remora serve --dev

test:
	infra/dev/services.sh tools
	$(TEST_SERVICES)
	@$(MAKE) --no-print-directory vet staticcheck fmt-check lint-spec
	$(PGPASS_ENV); $(GO) test -race -count=1 -timeout 14m ./...

# The fuzz targets, FUZZTIME each (their seed corpora run in `make test`):
# policy validation and the evaluator, then imports against a real Postgres.
FUZZTIME ?= 60s
fuzz:
	$(TEST_SERVICES)
	$(GO) test -run '^$$' -fuzz '^FuzzValidate$$' -fuzztime $(FUZZTIME) ./compute/policy/
	$(PGPASS_ENV); $(GO) test -run '^$$' -fuzz '^FuzzImport$$' -fuzztime $(FUZZTIME) ./compute/policystore/

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

fmt-check:
	@files=$$(find . \( -name .git -o -name node_modules -o -name testdata -o -name .remora \) -prune \
		-o -name '*.go' -type f -print0 | xargs -0r $(GOFMT) -l); \
	if [ -n "$$files" ]; then echo "gofmt: these files need formatting (gofmt -w):"; echo "$$files"; exit 1; fi

lint-spec:
	cd web-openapi && npm ci --no-audit --no-fund --loglevel=error && REDOCLY_TELEMETRY=off npx --no-install redocly lint openapi.yaml

generate:
	$(GO) generate ./web-openapi/...

bench:
	$(TEST_SERVICES)
	$(PGPASS_ENV); $(GO) test -run '^$$' -bench . -benchmem ./...

services:
	infra/dev/services.sh ensure

tools:
	infra/dev/services.sh tools

clean:
	rm -rf bin/

# riskgraph — `make run` serves the seeded case on the embedded store; `make test` runs every test.
SHELL := /bin/bash
GO    ?= go

.PHONY: run test generate check-generated lint check-web unit browser bench web fuzz load

run:
	$(GO) run .

## test: everything CI runs — generated code up to date, lint, unit + conformance suites on both
## stores (starts a real Neo4j 5.26 from Maven Central), and the browser test of the playground.
test: check-generated lint check-web unit browser

generate:
	$(GO) generate ./...

# Fails when schema.graphqls or gqlgen.yml changed without regenerating graph/.
check-generated:
	$(GO) generate ./...
	@git diff --exit-code --stat -- graph resolvers || { echo "go generate changed files: commit the regenerated code"; exit 1; }

# gofmt, go vet, and go.mod/go.sum exactly as go mod tidy leaves them.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

# RISKGRAPH_TEST_NEO4J=required: a Neo4j that cannot start fails the run instead of skipping.
# -race: every test runs under the race detector.
unit:
	RISKGRAPH_TEST_NEO4J=required $(GO) test -race -count=1 -timeout 30m ./...

# The committed playground bundle must be what web/'s sources and lockfile build.
check-web:
	bash web/check-dist.sh

# Headless Chromium drives the playground against a freshly seeded server; the screenshot
# lands in testdata/screenshots/ for people to look at.
browser:
	RISKGRAPH_SCREENSHOT_DIR=$(CURDIR)/testdata/screenshots bash scripts/browser-test.sh

## bench: the benchmarks behind the numbers in the issue notes (not part of `make test`).
bench:
	RISKGRAPH_TEST_NEO4J=required $(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

## web: rebuild the committed playground bundle from web/ (needs npm).
web:
	cd web && npm ci && npm run build

## fuzz: run every fuzz target for FUZZTIME each (their seed corpora already run in `make test`).
FUZZTIME ?= 60s
FUZZ_TARGETS := FuzzBatchValidate:./internal/kg FuzzDates:./internal/kg FuzzCursor:./internal/store \
	FuzzSearchText:./internal/store FuzzRead:./internal/batchfile FuzzParseModel:./internal/risk \
	FuzzGraphQLRequest:./internal/api
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

## load: the load and fault test of tools/load (200 clients for 30 s per backend, loopback only,
## Neo4j stopped and restarted mid-load); not part of `make test`. LOAD_FLAGS passes options.
load:
	$(GO) run ./tools/load $(LOAD_FLAGS)

# Switchboard — developer and CI entry points.
#
#   make build           build the web app, then the static binary in bin/switchboard
#   make run             build plugins + web, then `switchboard serve --demo`
#   make test            go vet + go test -race (starts/stops PostgreSQL, Redis,
#                        stripe-mock via .ci/services unless
#                        SWITCHBOARD_TEST_POSTGRES_URL is already set)
#   make chart-test      helm lint + the Helm chart's render tests (charts/switchboard);
#                        also run by `make test`, after the Go suite
#   make web-test        the web app's Vitest tests and its end-to-end tests in headless
#                        Chromium against a real server; also run by `make test`, last
#   make helm            build the pinned helm CLI into bin/helm
#   make bench           benchmarks, output also in .tmp/bench.txt
#   make fuzz            fuzz the webhook parsers, FUZZEXECS (50000x) executions per target
#   make chaos           the pipeline chaos tests (CHAOS_SENDS sends, plugin kill -9s;
#                        a send behind another workspace's CHAOS_FAIRNESS_SENDS)
#   make lint            gofmt check, go vet, staticcheck
#   make tools           install pinned stripe-mock into $(go env GOPATH)/bin
#   make services-start  eval "$(make -s services-start)" to use them in a shell
#   make services-stop
#   make generate | plugins | web | clean | help
#
# Variables: TESTFLAGS (extra `go test` flags, e.g. TESTFLAGS='-run Foo -v'),
# PKGS (default ./...), BENCH, BENCHTIME, BENCHFLAGS, SEND_BENCHTIME, RUN_ARGS, VERSION.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules
.DEFAULT_GOAL := build

GO ?= go
GOFMT = $(shell $(GO) env GOROOT)/bin/gofmt
PKGS ?= ./...

MODULE := github.com/switchboardhq/switchboard
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X $(MODULE)/platform/buildinfo.Version=$(VERSION)

# Pinned tool versions (checked against the Go module proxy).
# staticcheck v0.8.2 == release 2026.2.2; needs go >= 1.26, which go.mod uses.
STATICCHECK_VERSION := v0.8.2
# Keep in sync with STRIPE_MOCK_VERSION in .ci/services.
STRIPE_MOCK_VERSION := v0.203.0
# helm v3.22.0 needs go >= 1.26 (its go.mod). Keep it equal to helm.sh/helm/v3 in
# charts/switchboard/test/go.mod: the CLI and the tests then share the build cache.
HELM_VERSION := v3.22.0
HELM := bin/helm
CHART := charts/switchboard

TESTFLAGS ?=
TEST_TIMEOUT ?= 14m
BENCH ?= .
BENCHTIME ?= 1s
BENCHFLAGS ?= -benchmem
SEND_BENCH := EndToEndSends|InboundApply
SEND_BENCHTIME ?= 10000x
RUN_ARGS ?= serve --demo

SERVICES := .ci/services

.PHONY: help run build plugins web web-test generate lint test bench fuzz chaos tools \
	services-start services-stop clean

help:
	@awk 'NR <= 2 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' $(firstword $(MAKEFILE_LIST))

# ---------------------------------------------------------------- build / run

build: web
	@echo "+ go build -o bin/switchboard (version $(VERSION))"
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/switchboard ./platform/cmd/switchboard

run: plugins web
	@echo "+ go run ./platform/cmd/switchboard $(RUN_ARGS)"
	$(GO) run -ldflags "$(LDFLAGS)" ./platform/cmd/switchboard $(RUN_ARGS)

# Plugins: every directory plugins/<plugin>/cmd/<name>/ whose plugin root
# plugins/<plugin>/ has a manifest.json is a channel plugin main package
# (plugins/sdk/cmd/* are tools, not plugins). Each is built as a static binary
# bin/plugins/<name>/<name>-<GOOS>-<GOARCH>, and bin/plugins/<name>/plugin.json
# is written from the manifest.json template with the binary's sha256
# (plugins/sdk/cmd/plugin-manifest; the plugin id must be <name>), which is the
# layout the host loads: <plugins-dir>/<id>/plugin.json. Unchanged sources
# rebuild nothing (the go build cache) and leave plugin.json untouched.
# Cross-build with `make plugins GOOS=linux GOARCH=arm64`: that platform is
# added beside the others already in plugin.json.
plugins:
	@shopt -s nullglob
	dirs=()
	for d in plugins/*/cmd/*/; do
		d=$${d%/}
		if [ -f "$${d%/cmd/*}/manifest.json" ]; then dirs+=("$$d"); fi
	done
	if [ $${#dirs[@]} -eq 0 ]; then
		echo "plugins: no plugins/*/cmd/* directories beside a manifest.json; nothing to build"
		exit 0
	fi
	goos=$$($(GO) env GOOS)
	goarch=$$($(GO) env GOARCH)
	declare -A seen=()
	for d in "$${dirs[@]}"; do
		name=$${d##*/}
		root=$${d%/cmd/*}
		if [ -n "$${seen[$$name]:-}" ]; then
			echo "plugins: $$d and $${seen[$$name]} would both build bin/plugins/$$name; rename one" >&2
			exit 1
		fi
		seen[$$name]=$$d
		out=bin/plugins/$$name
		bin=$$name-$$goos-$$goarch
		mkdir -p "$$out"
		echo "+ go build -o $$out/$$bin ./$$d"
		CGO_ENABLED=0 $(GO) build -o "$$out/$$bin" "./$$d"
		# The manifest tool runs here, whatever GOOS/GOARCH the plugins target.
		GOOS= GOARCH= $(GO) run ./plugins/sdk/cmd/plugin-manifest \
			-dir "$$out" -binary "$$bin" -template "$$root/manifest.json" -goos "$$goos" -goarch "$$goarch"
	done

# web: the browser app (web/, TypeScript + React + Vite) built into web/dist, which
# the binary embeds (web/embed_dist.go, written by the build). Dependencies come from
# web/package-lock.json with `npm ci`, skipped while web/node_modules is newer than the
# lock file. The build refreshes the API description from the route table
# (go run ./web/openapi) and the typed client from it, then type-checks. Without npm
# a web/dist built elsewhere (the Dockerfile's web stage) is embedded as it is.
web:
	@if ! command -v npm >/dev/null 2>&1; then
		if [ -f web/dist/index.html ]; then
			echo "web: npm not found; embedding the web/dist already there"
			cp web/scripts/embed_dist.go.tmpl web/embed_dist.go
			exit 0
		fi
		echo "web: npm not found; install Node.js 20 or later (Debian: apt-get install nodejs npm)" >&2
		exit 1
	fi
	cd web
	if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		echo "+ (cd web && npm ci)"
		npm ci --no-audit --no-fund
	fi
	echo "+ (cd web && npm run build)"
	npm run build

# web-test: the web app's component tests (Vitest), then its end-to-end tests: a real
# `switchboard serve --demo` on loopback driven by Debian's Chromium (playwright-core,
# no browser download). Screenshots and the server log go to .tmp/e2e. Called by
# `make test` after the Go suite. Without a Chromium (CHROMIUM, default
# /usr/bin/chromium) the end-to-end part fails in CI (CI set) and is skipped elsewhere.
CHROMIUM ?= /usr/bin/chromium

web-test: web build plugins
	@t0=$$SECONDS
	echo "+ (cd web && npm test)"
	(cd web && npm test)
	if [ ! -x "$(CHROMIUM)" ]; then
		msg="web-test: no Chromium at $(CHROMIUM) (apt-get install -y --no-install-recommends chromium)"
		if [ -n "$${CI:-}" ]; then echo "$$msg" >&2; exit 1; fi
		echo "$$msg: end-to-end tests SKIPPED"
		exit 0
	fi
	echo "+ (cd web && npm run e2e)"
	(cd web && CHROMIUM="$(CHROMIUM)" SWITCHBOARD_BIN="$(CURDIR)/bin/switchboard" \
		SWITCHBOARD_PLUGINS="$(CURDIR)/bin/plugins" E2E_ARTIFACTS="$(CURDIR)/.tmp/e2e" npm run e2e)
	echo "web-test: ok in $$((SECONDS - t0))s (screenshots in .tmp/e2e)"

# generate: go:generate directives, among them plugins/sdk/generate.go, which
# runs protoc (Debian protobuf-compiler, and libprotobuf-dev for the well-known
# types) with the protoc-gen-go and
# protoc-gen-go-grpc versions pinned as tools in go.mod.
generate:
	@echo "+ go generate ./..."
	$(GO) generate ./...

# ---------------------------------------------------------------- checks

lint:
	@rc=0
	echo "+ gofmt -l"
	unformatted=$$(find . \( -path ./.git -o -path ./.tmp -o -path ./bin -o -path ./vendor -o -path ./web/node_modules \) -prune \
		-o -type f -name '*.go' -print0 | xargs -0 -r $(GOFMT) -l)
	if [ -n "$$unformatted" ]; then
		echo "lint: these files are not gofmt'ed (run: gofmt -w <file>):" >&2
		echo "$$unformatted" | sed 's/^/  /' >&2
		rc=1
	fi
	echo "+ go vet $(PKGS)"
	$(GO) vet $(PKGS) || rc=1
	echo "+ staticcheck@$(STATICCHECK_VERSION) $(PKGS)"
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS) || rc=1
	if [ $$rc != 0 ]; then echo "lint: FAILED" >&2; else echo "lint: ok"; fi
	exit $$rc

# with_services: canned recipe prefix for test/bench. Unless the caller
# already provides SWITCHBOARD_TEST_POSTGRES_URL, start the throwaway services
# and import their URLs. Services that were not already running are stopped
# on exit, whatever the outcome; the recipe's exit code is preserved and the
# duration printed.
define with_services
own=0
finish() {
	rc=$$?
	if [ "$$own" = 1 ]; then $(SERVICES) stop || true; fi
	if [ $$rc = 0 ]; then res=ok; else res="FAILED (exit $$rc)"; fi
	echo "$@: $$res in $$((SECONDS / 60))m$$((SECONDS % 60))s"
	exit $$rc
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "$${SWITCHBOARD_TEST_POSTGRES_URL:-}" ]; then
	if ! $(SERVICES) status >/dev/null 2>&1; then own=1; fi
	exports=$$($(SERVICES) start)
	eval "$$exports"
else
	echo "$@: using services from the environment (SWITCHBOARD_TEST_POSTGRES_URL is set)"
fi
endef

test:
	@$(with_services)
	echo "+ go vet $(PKGS)"
	$(GO) vet $(PKGS)
	echo "+ go test -race -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $(PKGS)"
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) $(PKGS)
	$(MAKE) --no-print-directory chart-test
	$(MAKE) --no-print-directory web-test

# ---------------------------------------------------------------- Helm chart

.PHONY: chart-test helm

# helm lint (plain and with each ci/*-values.yaml), then the chart's render tests:
# their own Go module, so Helm and the Kubernetes libraries stay out of go.mod.
# No cluster needed.
chart-test: helm
	@t0=$$SECONDS
	# Without values the chart's own checks (secrets.* is required) show as [INFO] Fail:
	# lint renders in lint mode, which reports them instead of failing.
	for f in "" $(CHART)/ci/*-values.yaml; do
		echo "+ $(HELM) lint --strict $(CHART)$${f:+ -f $$f}"
		$(HELM) lint --strict --quiet $(CHART) $${f:+-f "$$f"}
	done
	echo "+ (cd $(CHART)/test && go test -count=1 ./...)"
	(cd $(CHART)/test && $(GO) test -count=1 ./...)
	echo "chart-test: ok in $$((SECONDS - t0))s"

# bin/helm at HELM_VERSION (bin/.helm-version records the version built).
helm:
	@if [ ! -x $(HELM) ] || [ "$$(cat bin/.helm-version 2>/dev/null)" != $(HELM_VERSION) ]; then
		echo "+ GOBIN=$(CURDIR)/bin go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)"
		GOBIN=$(CURDIR)/bin $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
		echo $(HELM_VERSION) > bin/.helm-version
	fi

# One target per `go test -fuzz` run; new interesting inputs stay in the Go cache,
# the committed seeds in testdata/fuzz. The budget is a count of executions, not a
# duration: with a duration, Go's fuzz coordinator can report its own deadline as a
# failure (golang/go#75804) when a loaded machine starves the workers at the end.
# About 20 s each on a 2-core machine; -timeout still catches an input that hangs.
FUZZEXECS ?= 50000x

fuzz:
	@for target in FuzzCloudWebhook FuzzTwilioWebhook; do
		echo "+ go test -run '^$$' -fuzz $$target -fuzztime $(FUZZEXECS) -timeout 5m ./plugins/whatsapp/"
		$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZEXECS) -timeout 5m ./plugins/whatsapp/ || exit 1
	done

# The pipeline's chaos tests: CHAOS_SENDS (default 10000) sends through the real
# loopback binary, killed twice, with the worker restarted once; and fairness at
# scale, one workspace's single send behind another's CHAOS_FAIRNESS_SENDS (100000).
chaos:
	@$(with_services)
	echo "+ go test -tags chaos -run Chaos -timeout 20m ./platform/pipeline/"
	$(GO) test -tags chaos -count=1 -run Chaos -timeout 20m -v ./platform/pipeline/

# The end-to-end send benchmark (P1) and the inbound one (P3) are throughputs over a
# whole campaign (its sends, its receipts, its replies): a second's worth is mostly
# warm-up, so they run on their own for SEND_BENCHTIME messages.
bench:
	@$(with_services)
	mkdir -p .tmp
	echo "+ go test -run '^$$' -bench '$(BENCH)' -skip '$(SEND_BENCH)' -benchtime=$(BENCHTIME) $(BENCHFLAGS) $(PKGS) | tee .tmp/bench.txt"
	$(GO) test -run '^$$' -bench '$(BENCH)' -skip '$(SEND_BENCH)' -benchtime=$(BENCHTIME) $(BENCHFLAGS) $(PKGS) 2>&1 | tee .tmp/bench.txt
	echo "+ go test -run '^$$' -bench '$(SEND_BENCH)' -benchtime=$(SEND_BENCHTIME) $(BENCHFLAGS) ./platform/pipeline/ | tee -a .tmp/bench.txt"
	$(GO) test -run '^$$' -bench '$(SEND_BENCH)' -benchtime=$(SEND_BENCHTIME) $(BENCHFLAGS) ./platform/pipeline/ 2>&1 | tee -a .tmp/bench.txt

# ---------------------------------------------------------------- tools / services

tools:
	@echo "+ go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)"
	$(GO) install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)
	echo "stripe-mock installed in $$(gobin=$$($(GO) env GOBIN); echo "$${gobin:-$$($(GO) env GOPATH | cut -d: -f1)/bin}")"

services-start:
	@$(SERVICES) start

services-stop:
	@$(SERVICES) stop

clean:
	@SERVICES_DIR="$(CURDIR)/.tmp/services" $(SERVICES) stop
	rm -rf bin .tmp

# OpenKVS developer targets. `make test` is what CI runs (.ci/run).
GO        ?= go
FUZZTIME  ?= 30s
BENCHTIME ?= 1x

.PHONY: run deps test bench fuzz lint

## run: start kvsd on 127.0.0.1:4566 with ./data
run:
	$(GO) run ./cmd/kvsd

## deps: install what the tests drive (Debian packages, as root), the Go modules and the
##       browser test's npm packages (web/playback-test)
deps:
	@missing=""; \
	[ -x /usr/bin/aws ] || missing="$$missing awscli"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	/usr/bin/python3 -c 'import boto3' 2>/dev/null || missing="$$missing python3-boto3"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(GO) mod download
	@# hls.js, dashjs and playwright-core for the browser playback test, exactly as
	@# locked; none has an install script and playwright-core downloads no browser
	@# (the test drives /usr/bin/chromium). Skipped while node_modules matches the lock.
	@[ web/playback-test/node_modules/.package-lock.json -nt web/playback-test/package-lock.json ] || \
	  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix web/playback-test --ignore-scripts --no-audit --no-fund

## test: every test, with the race detector, plus a short fuzz pass
test: lint
	$(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) fuzz FUZZTIME=20s

## bench: the committed benchmarks (figures go to docs/benchmarks.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

## fuzz: run every fuzz target for FUZZTIME each (scripts/fuzz.sh says why a bare deadline error is not a failure)
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

## lint: formatting, vet, a tidy go.mod, and builds for the 32-bit ARM boards the edge agent runs on, macOS and Windows
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "run gofmt -w"; exit 1; }
	$(GO) vet ./...
	$(GO) mod tidy -diff
	GOOS=linux GOARCH=arm $(GO) build ./...
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) build ./...

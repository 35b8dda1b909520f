# Khiên developer targets. The README's two commands need none of these.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X khien.vn/khien/internal/version.Version=$(VERSION)
FUZZTIME ?= 20000x

.PHONY: build run demo test test-postgres lint bench fuzz

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/khien ./cmd/khien

run: build
	./bin/khien serve --data ./khien-data

demo:
	go run ./cmd/khien demo

test:
	./scripts/test

test-postgres:
	GOTESTFLAGS="-run Postgres -v" ./scripts/test

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...

bench:
	go test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.out

# Each fuzz target runs for FUZZTIME (a count: Go 1.26's time-based limit
# can end with a spurious "context deadline exceeded", golang/go#75804).
fuzz:
	@for pkg in $$(go list ./...); do \
	  for t in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# pbxlab — the two set-up commands are `make demo` and `make test`.
GO       ?= go
BIN      := bin/pbxlab
PKGS     := ./...
# the peers the interop tests, capture cross-checks and benchmarks use (Debian 12 package names)
PEERS_PKGS := sip-tester tshark kamailio baresip-core linphone-cli
export TESTCONTAINERS_RYUK_DISABLED := true
# test-go pipes go test into the summary and needs pipefail
SHELL    := bash

.PHONY: all build image demo test test-go peers interop bench bench-media fuzz mutate vet lint clean conform-table bench-sim soak

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/pbxlab

## image: the container image pbxlab:latest (build/Dockerfile, FROM scratch): the static binary
## built here and COPYed in; nothing is pulled. The context is bin/image/ (binary, Dockerfile, the
## empty data/ and tmp/ the image needs, since scratch has none).
IMAGE ?= pbxlab:latest
image:
	rm -rf bin/image && mkdir -p bin/image/data bin/image/tmp
	CGO_ENABLED=0 $(GO) build -o bin/image/pbxlab ./cmd/pbxlab
	cp build/Dockerfile bin/image/Dockerfile
	DOCKER_BUILDKIT=0 docker build -t $(IMAGE) bin/image

## demo: the PBX on loopback, 50 simulated phones calling, the live features, a report
demo: build
	./$(BIN) demo

## test: everything, with -race; installs the Debian peers where it can (root + apt-get), else the
## tests that need them skip with a loud message ("peer missing: NAME"). The output is plain go test's
## (ok/FAIL per package, the output of failed tests) and ends with every skipped test and its reason;
## under CI=true a skip for a missing peer fails the run (internal/tools/testsummary).
test: peers vet test-go

test-go:
	set -o pipefail; $(GO) test -json -race -count=1 -timeout 45m $(PKGS) | $(GO) run ./internal/tools/testsummary

vet:
	$(GO) vet $(PKGS)

peers:
	@./scripts/install-peers.sh $(PEERS_PKGS)

## interop: only the SIPp interop tests
interop: peers
	$(GO) test -race -count=1 -v -timeout 15m ./interop/...

## bench: SIPp-driven figures for pbxlab and Kamailio side by side (not part of make test): CPU per call and
## per REGISTER at fixed rates, 100,000 bindings, held calls, pprof profiles in bench/results/profiles/;
## BENCH_QUICK=1, CALL_RATES, REG_RATES, RATE_SECS, ROUNDS, MEM_BINDINGS, HOLD_CALLS shorten it (bench/run.sh)
bench: peers build
	./bench/run.sh

## bench-media: anchored RTP figures, pbxlab vs rtpengine (not part of make test); see bench/media.sh
bench-media:
	./bench/media.sh

## bench-sim: pbxlab sim vs SIPp as call generators against one SIPp UAS, CPU per call (not part of
## make test); RATES="250 500" DURATION=10 change the load, see bench/sim.sh
bench-sim: peers
	./bench/sim.sh

## mutate: the mutation check (mutants.yaml, internal/tools/mutate): each mutant is applied to a scratch
## copy of the repository and the test(s) it names must fail; prints KILLED / SURVIVED / STALE / ERROR per
## mutant and fails unless every one is KILLED. Slow (minutes), not part of make test; ONLY=id[,id] runs some.
mutate:
	$(GO) run ./internal/tools/mutate $(if $(ONLY),-only '$(ONLY)')

## conform-table: run pbxlab conform against pbxlab serve and Kamailio, rewrite conform/results and README's table
conform-table: peers
	./scripts/conform-table.sh

## fuzz: run every fuzz target for a short while
fuzz:
	./scripts/fuzz-all.sh 20s

clean:
	rm -rf bin

## soak: pbxlab sim against pbxlab serve, 30 minutes at 100 calls/s with 10,000 phones refreshing their
## registrations (not part of make test); SOAK=3m is the short variant; fails on a failed call, RSS growth,
## leaked goroutines/fds or missing CDRs (bench/soak.sh)
soak:
	./bench/soak.sh

#!/usr/bin/env bash
# bench/compare.sh - a micro-benchmark before and after a change, compared by benchstat.
#
#   bench/compare.sh BASE PKG REGEX        e.g. bench/compare.sh HEAD~1 ./pbx/internal/sipx 'RegisterTxRetained'
#
# Builds the test binary of PKG at BASE (a git revision, checked out in a temporary worktree) and in
# the working tree as it is, then runs REGEX's benchmarks (-benchmem) COUNT times (default 10),
# alternating the two binaries round by round so that a machine's drift hits both alike, and prints
# `go tool benchstat old new` (golang.org/x/perf, a tool dependency in go.mod). Put its table in the
# commit message of an optimisation. BENCHTIME (default 1s) is passed as -test.benchtime.
# Not part of make test.
set -euo pipefail

[[ $# -eq 3 ]] || { echo "usage: $0 BASE PKG REGEX" >&2; exit 2; }
BASE=$1 PKG=$2 REGEX=$3
COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-1s}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")
NAME=bench-compare
KEEP=${BENCH_KEEP:-0}
# shellcheck source=scripts/lib/procs.sh
source "$ROOT/scripts/lib/procs.sh"
trap 'git -C "$ROOT" worktree remove --force "$WORK/base" >/dev/null 2>&1 || true; cleanup' EXIT

rev=$(git -C "$ROOT" rev-parse --short "$BASE")
git -C "$ROOT" worktree add --detach "$WORK/base" "$rev" >/dev/null 2>&1
log "building $PKG at $rev and in the working tree"
(cd "$WORK/base" && go test -c -o "$WORK/old.test" "$PKG")
(cd "$ROOT" && go test -c -o "$WORK/new.test" "$PKG")
pkgdir_old=$(cd "$WORK/base" && go list -f '{{.Dir}}' "$PKG")
pkgdir_new=$(cd "$ROOT" && go list -f '{{.Dir}}' "$PKG")
for i in $(seq 1 "$COUNT"); do
	log "round $i of $COUNT"
	(cd "$pkgdir_old" && "$WORK/old.test" -test.run '^$' -test.bench "$REGEX" -test.benchmem \
		-test.benchtime "$BENCHTIME" -test.count 1) >>"$WORK/old.txt"
	(cd "$pkgdir_new" && "$WORK/new.test" -test.run '^$' -test.bench "$REGEX" -test.benchmem \
		-test.benchtime "$BENCHTIME" -test.count 1) >>"$WORK/new.txt"
done
echo "# bench/compare.sh $BASE ($rev) $PKG '$REGEX', COUNT=$COUNT, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$ROOT" && go tool benchstat "old=$WORK/old.txt" "new=$WORK/new.txt")

#!/usr/bin/env bash
# Regenerates what pbxlab conform reports against each committed target, and the README table made
# of it:
#   1. builds bin/pbxlab;
#   2. runs `pbxlab serve` (its embedded demo configuration) on 127.0.0.1:$PBX_PORT and
#      `pbxlab conform --profile conform/targets/pbxlab.yaml --torture` against it;
#   3. runs Kamailio (conform/targets/kamailio.sh) on 127.0.0.1:$KAM_PORT and
#      `pbxlab conform --profile conform/targets/kamailio.yaml` against it;
#   4. writes conform/results/{pbxlab,kamailio}.json (`--results`) and rewrites README.md's table
#      from them (internal/tools/conformtable).
# The reports (HTML, JUnit, cucumber, captures) go to $OUT (default out/reports/conform-table).
# `go test ./conform/` runs the same two targets and fails if their results differ from the
# committed ones, and if README.md's table is not the one the results give.
set -euo pipefail
cd "$(dirname "$0")/.."
PBX_PORT=${PBX_PORT:-15060}
KAM_PORT=${KAM_PORT:-15070}
OUT=${OUT:-out/reports/conform-table}
mkdir -p "$OUT" bin
go build -o bin/pbxlab ./cmd/pbxlab

pids=()
store=$(mktemp -d)
cleanup() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$store"
}
trap cleanup EXIT

# wait_tcp PORT: until something accepts TCP connections on 127.0.0.1:PORT (20 s at most)
wait_tcp() {
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

# conform NAME PORT [FLAGS...]: one run, its reports under $OUT/NAME, its results in conform/results
conform() {
	local name=$1 port=$2
	shift 2
	bin/pbxlab conform --target "127.0.0.1:$port" --profile "conform/targets/$name.yaml" \
		--out "$OUT/$name" --html "$OUT/$name/report.html" \
		--format "progress,junit:$OUT/$name/junit.xml,cucumber:$OUT/$name/cucumber.json" \
		--results "conform/results/$name.json" "$@"
}

bin/pbxlab serve --listen "udp:127.0.0.1:$PBX_PORT" --listen "tcp:127.0.0.1:$PBX_PORT" \
	--store "$store/pbx.db" >"$OUT/pbxlab-serve.log" 2>&1 &
pids+=($!)
wait_tcp "$PBX_PORT"
status=0
conform pbxlab "$PBX_PORT" --torture || status=1

conform/targets/kamailio.sh "$KAM_PORT" >"$OUT/kamailio.log" 2>&1 &
pids+=($!)
wait_tcp "$KAM_PORT"
conform kamailio "$KAM_PORT" || status=1

go run ./internal/tools/conformtable README.md conform/results/pbxlab.json conform/results/kamailio.json
echo "results in conform/results/, README.md's table updated, reports in $OUT"
exit "$status"

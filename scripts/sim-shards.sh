#!/usr/bin/env bash
# Runs a scenario as N local shards: N `pbxlab sim --shard i/N` processes
# against one PBX, all calling from the same instant, then merges their
# reports with `pbxlab sim merge` (exit status: the merged run's verdict).
#
#   scripts/sim-shards.sh N SCENARIO.yaml HOST:PORT [OUTDIR]
#
# PBXLAB names the binary (default: pbxlab on PATH); START_IN is how many
# seconds after launch the shards start calling (default 5: time for every
# shard to register). Reports: OUTDIR/shard-i.json and OUTDIR/merged.json
# (OUTDIR defaults to a new temporary directory).
set -euo pipefail

if [[ $# -lt 3 ]]; then
	sed -n '2,11p' "$0" >&2
	exit 2
fi
n=$1 scenario=$2 target=$3
out=${4:-$(mktemp -d)}
pbxlab=${PBXLAB:-pbxlab}
start_in=${START_IN:-5}
mkdir -p "$out"
start_at=$(date -u -d "+${start_in} seconds" +%Y-%m-%dT%H:%M:%SZ)

pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT

for ((i = 0; i < n; i++)); do
	"$pbxlab" sim "$scenario" --target "$target" --shard "$i/$n" --start-at "$start_at" \
		--report "$out/shard-$i.json" >"$out/shard-$i.txt" 2>&1 &
	pids+=($!)
done
status=0
for ((i = 0; i < n; i++)); do
	if ! wait "${pids[$i]}"; then
		echo "shard $i/$n failed (its verdict is its own slice's; see $out/shard-$i.txt)" >&2
		status=1
	fi
done
pids=()
reports=()
for ((i = 0; i < n; i++)); do
	[[ -s "$out/shard-$i.json" ]] && reports+=("$out/shard-$i.json")
done
if [[ ${#reports[@]} -ne $n ]]; then
	echo "only ${#reports[@]} of $n shards wrote a report (in $out)" >&2
	exit 1
fi
"$pbxlab" sim merge --scenario "$scenario" -o "$out/merged.json" "${reports[@]}" || status=$?
echo "reports in $out" >&2
exit "$status"

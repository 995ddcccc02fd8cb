#!/usr/bin/env bash
# Figures of the in-process BDD suite: its wall time at several concurrencies (TestFeatures runs every
# scenario with a fresh in-process PBX; PBXLAB_FEATURES_CONCURRENCY scenarios at once), the scenarios'
# summed time and the mean per scenario. Each line is TestFeatures' own "figures:" log line, which times
# the suite alone (not the build, not the tshark cross-check that follows it).
#
#   scripts/features-figures.sh [CONCURRENCY...]     default: 1 2 4 8; RACE=1 adds -race
set -euo pipefail
cd "$(dirname "$0")/.."
levels=("$@")
[[ ${#levels[@]} -eq 0 ]] && levels=(1 2 4 8)
flags=(-count=1 -run 'TestFeatures$' -v)
[[ ${RACE:-0} == 1 ]] && flags+=(-race)
go test -c -o /dev/null ./features/ # build once, so the first run is not slower
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); go test ${flags[*]}"
for n in "${levels[@]}"; do
	line=$(PBXLAB_FEATURES_CONCURRENCY=$n go test "${flags[@]}" ./features/ 2>&1 | grep -E 'figures:|scenarios [0-9]+, passed' | tr -s ' ' | paste -sd ';' -)
	echo "concurrency $n: ${line:-no figures (the run failed?)}"
done

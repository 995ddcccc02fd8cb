#!/usr/bin/env bash
# scripts/sim-100k.sh - 100,000 registered phones in one `pbxlab sim`
# process against `pbxlab serve`, and what they weigh.
#
# Runs scenarios/100k-phones.yaml (PHONES overrides the count, HOLD how long
# the phones stay registered, default 180s) against a pbxlab serve on
# 127.0.0.1 with a subscriber range of the phones, and prints:
#
#   register_all_s     time to register every phone (200 REGISTERs in flight)
#   sim_rss_peak_mb    the simulator's peak RSS (VmHWM; goal <= 1024)
#   sim_heap_per_phone Go heap after GC / phones, 10 s after the last
#                      registration (idle: no transaction left, no refresh yet)
#   sim_rss_per_phone  RSS / phones at the same moment
#   pbx_rss_per_binding growth of the PBX's RSS from before the run to 10 s
#                      after the last registration, / phones
#   registrations ok / failed (refreshes included), unregistered
#
# The phones send from 127.0.0.1-8 (Linux routes all of 127/8 to lo). Both
# processes run on this host and share its cores with whatever else runs.
# Every process started here is in its own process group and is killed on
# exit. SIM_CPUPROFILE=FILE / SIM_MEMPROFILE=FILE keep pprof profiles.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PHONES=${PHONES:-100000}
HOLD=${HOLD:-180s}
FIRST=200000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sim-100k.XXXXXX")
BIN=$WORK/pbxlab
NAME=sim-100k
# shellcheck source=scripts/lib/procs.sh
source "$ROOT/scripts/lib/procs.sh"

# status_kb PID FIELD: a field of /proc/PID/status in kB (VmRSS, VmHWM).
status_kb() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null || echo 0; }

log "building pbxlab"
(cd "$ROOT" && go build -o "$BIN" ./cmd/pbxlab)

PORT=$(free_port)
LAST=$((FIRST + PHONES - 1))
cat >"$WORK/pbx.yaml" <<CFG
sip:
  listen: ["udp:127.0.0.1:$PORT"]
log:
  level: warn
subscriber_ranges:
  - {from: "$FIRST", to: "$LAST", password: "sim{n}"}
CFG
sed -e "s/^  count: .*/  count: $PHONES/" -e "s/^calls: .*/calls: {rate: 0, duration: $HOLD}/" \
	"$ROOT/scenarios/100k-phones.yaml" >"$WORK/scenario.yaml"

setsid "$BIN" serve --config "$WORK/pbx.yaml" --store "$WORK/pbx.db" >"$WORK/pbx.out" 2>"$WORK/pbx.log" &
PBX=$!
PGIDS+=("$PBX")
sleep 1.5
kill -0 "$PBX" 2>/dev/null || { log "pbxlab serve did not start"; cat "$WORK/pbx.log" >&2; exit 1; }
pbx0=$(status_kb "$PBX" VmRSS)

log "registering $PHONES phones against 127.0.0.1:$PORT, registered for $HOLD"
setsid "$BIN" sim "$WORK/scenario.yaml" --target "127.0.0.1:$PORT" \
	--memprofile "${SIM_MEMPROFILE:-$WORK/heap.pprof}" ${SIM_CPUPROFILE:+--cpuprofile "$SIM_CPUPROFILE"} \
	>"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
PGIDS+=("$SIM")

# wait for the idle measurement, then read the PBX's RSS at that moment
pbx1=0 hwm=0
while kill -0 "$SIM" 2>/dev/null; do
	h=$(status_kb "$SIM" VmHWM)
	((${h:-0} > hwm)) && hwm=$h
	if ((pbx1 == 0)) && grep -q 'idle phones' "$WORK/sim.err"; then
		pbx1=$(status_kb "$PBX" VmRSS)
	fi
	sleep 0.5
done
rc=0
wait "$SIM" || rc=$?

reg=$(sed -n 's/^sim: .* phones registered in \([^ ]*\)$/\1/p' "$WORK/sim.err")
idle=$(grep 'idle phones' "$WORK/sim.err" || true)
heap_pp=$(sed -n 's/.*(\([0-9]*\) B\/phone), rss.*/\1/p' <<<"$idle")
rss_pp=$(sed -n 's/.*rss [0-9]* B (\([0-9]*\) B\/phone).*/\1/p' <<<"$idle")
cat "$WORK/sim.out"
[[ $rc -eq 0 ]] || { log "pbxlab sim exited $rc"; tail -20 "$WORK/sim.err" >&2; }
echo
printf '%-22s %s\n' phones "$PHONES"
printf '%-22s %s\n' register_all "$reg"
printf '%-22s %s\n' sim_rss_peak_mb "$((hwm / 1024))"
printf '%-22s %s\n' sim_heap_per_phone "${heap_pp:-n/a}"
printf '%-22s %s\n' sim_rss_per_phone "${rss_pp:-n/a}"
if ((pbx1 > 0)); then
	printf '%-22s %s\n' pbx_rss_per_binding "$(((pbx1 - pbx0) * 1024 / PHONES))"
else
	printf '%-22s %s\n' pbx_rss_per_binding n/a
fi
exit "$rc"

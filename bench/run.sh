#!/usr/bin/env bash
# bench/run.sh - pbxlab against Kamailio 5.6 under the same SIPp load.
#
# Called by `make bench`. Starts both servers on 127.0.0.1 (pbxlab serve
# with admin.listen and admin.pprof on loopback; Kamailio with
# bench/kamailio.cfg), each with its own SIPp UAS, then:
#
#   1. storm: MEM_BINDINGS (default 100,000) AORs register with digest
#      authentication (interop/testdata/sipp/register.xml: REGISTER, 401,
#      REGISTER, 200) as fast as the server answers (<= REG_LIMIT in
#      flight): registrations/s, the peak memory during the storm, and the
#      memory after SETTLE s (default 45: the REGISTER transactions ended,
#      Timer J = 32 s, and pbxlab's memory.release_when_quiet gave the
#      storm's heap back, 32-34 s after it): pbxlab's RSS and Go heap (go_memstats_heap_inuse_bytes
#      of /metrics, read after a GC forced by /debug/pprof/heap?gc=1),
#      Kamailio's PSS summed over its processes;
#   2. p99 call setup at P99_RATE (200) calls/s from the trusted address
#      127.0.0.2 through the server to the UAS (uac.xml/uas.xml);
#   3. calls/s at most (MAX_CALLS calls, <= MAX_LIMIT in flight);
#   4. CPU per operation at fixed rates ("" skips): calls at CALL_RATES (200 500 1000
#      calls/s) and REGISTER requests at REG_RATES (500 1000 2000/s; a
#      registration is 2 requests), each for RATE_SECS (10) s, ROUNDS (3)
#      back-to-back rounds, pbxlab and Kamailio alternating; the server's
#      CPU (utime+stime from /proc, whole process tree) and SIPp's (the
#      UAC's from the times builtin, plus the UAS's from /proc) per
#      operation, medians of the rounds; every operation must succeed;
#   5. held calls (pbxlab; HOLD_CALLS=0 skips it): HOLD_CALLS calls at HOLD_RATE/s stay up; after
#      HOLD_SETTLE s (the INVITE transactions ended) the Go heap and RSS
#      growth per call in progress (signalling only, media: direct);
#   6. profiles (PROFILE=1): one more unmeasured run of each fixed-rate
#      phase of pbxlab while /debug/pprof takes a CPU and an allocation
#      profile, stored in bench/results/profiles/ (PROFILES_DIR) with the
#      storm's and the heap profiles of steps 1 and 5.
#
# Prints a table and the lines `ratio cpu_per_call X.XX`, `ratio
# cpu_per_register X.XX` (pbxlab/Kamailio, the median of the ratios over
# rates and rounds), `bytes_per_binding N` and `bytes_per_call N` (Go heap
# after GC), writes them to bench/results/latest.md (BENCH_OUT), and exits 1
# when an operation of step 4 failed. SIPp runs on the same cores as the
# servers; the figures compare the two servers on this machine at one
# moment, they are not capacity numbers. About 15 minutes on 2 cores;
# BENCH_QUICK=1 shrinks every step for a smoke run; each variable above
# can be set in the environment, and PBXLAB_BIN runs that binary instead
# of building bin/pbxlab (an older build against the same load).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/results/latest.md}
PROFILES_DIR=${PROFILES_DIR:-$ROOT/bench/results/profiles}
SC=$ROOT/interop/testdata/sipp
KAMCFG=$ROOT/bench/kamailio.cfg

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	def_users=5000 def_p99=600 def_max=1500 def_secs=3 def_hold=500 def_settle=3
else
	def_users=100000 def_p99=4000 def_max=10000 def_secs=10 def_hold=5000 def_settle=45
fi
MEM_BINDINGS=${MEM_BINDINGS:-$def_users}
REG_RATE=${REG_RATE:-20000}
REG_LIMIT=${REG_LIMIT:-300}
P99_RATE=${P99_RATE:-200}
P99_CALLS=${P99_CALLS:-$def_p99}
MAX_RATE=${MAX_RATE:-20000}
MAX_LIMIT=${MAX_LIMIT:-300}
MAX_CALLS=${MAX_CALLS:-$def_max}
SETTLE=${SETTLE:-$def_settle}
CALL_RATES=${CALL_RATES-200 500 1000}
REG_RATES=${REG_RATES-500 1000 2000}
RATE_SECS=${RATE_SECS:-$def_secs}
ROUNDS=${ROUNDS:-3}
HOLD_CALLS=${HOLD_CALLS:-$def_hold}
HOLD_RATE=${HOLD_RATE:-500}
HOLD_SETTLE=${HOLD_SETTLE:-$def_settle}
PROFILE=${PROFILE:-1}
FIRST_USER=100000

for tool in sipp kamailio go awk curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench: $tool not found (.ci/run installs sip-tester and kamailio)" >&2
		exit 1
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pbxlab-bench.XXXXXX")
PIDS=()
PGIDS=()
PROF_PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do
		[[ -n $p ]] && kill "$p" 2>/dev/null || true
	done
	for p in "${PGIDS[@]:-}"; do
		[[ -n $p ]] && kill -TERM -- "-$p" 2>/dev/null || true
	done
	sleep 0.5
	for p in "${PIDS[@]:-}"; do
		[[ -n $p ]] && kill -9 "$p" 2>/dev/null || true
	done
	for p in "${PGIDS[@]:-}"; do
		[[ -n $p ]] && kill -KILL -- "-$p" 2>/dev/null || true
	done
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		echo "bench: work files kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

write_users() {
	local f=$WORK/users.csv
	{
		echo SEQUENTIAL
		for ((u = FIRST_USER; u < FIRST_USER + MEM_BINDINGS; u++)); do
			echo "$u;[authentication username=$u password=pw$u];"
		done
	} >"$f"
	echo "$f"
}

# start_uas NAME: a SIPp UAS in its own process group; sets UAS_PORT_NAME, UAS_PID_NAME.
start_uas() {
	local port
	port=$(free_port)
	(cd "$WORK" && exec setsid sipp -nostdin -sf "$SC/uas.xml" -i 127.0.0.1 -p "$port" \
		-trace_stat -stf "$WORK/uas-$1.csv" -fd 1 >"$WORK/uas-$1.log" 2>&1) &
	PGIDS+=($!)
	printf -v "UAS_PORT_$1" '%s' "$port"
	printf -v "UAS_PID_$1" '%s' "$!"
}

if [[ -n ${PBXLAB_BIN:-} ]]; then
	BIN=$PBXLAB_BIN
	log "pbxlab: $BIN (PBXLAB_BIN)"
else
	BIN=$ROOT/bin/pbxlab
	log "building bin/pbxlab"
	(cd "$ROOT" && go build -o bin/pbxlab ./cmd/pbxlab)
fi
USERS=$(write_users)
# the local port of every registering SIPp: the fixed-rate REGISTERs refresh the storm's bindings
REG_PORT=$(free_port 20000 12768)
mkdir -p "$PROFILES_DIR"
rm -f "$PROFILES_DIR"/*.pprof

start_uas pbxlab
start_uas kamailio
PORT_pbxlab=$(free_port)
ADMIN=127.0.0.1:$(free_port)
pbxlab_yaml "$PORT_pbxlab" "$UAS_PORT_pbxlab" "$FIRST_USER" "$MEM_BINDINGS" "$ADMIN" >"$WORK/pbxlab.yaml"
setsid "$BIN" serve --config "$WORK/pbxlab.yaml" --store "$WORK/pbxlab.db" >"$WORK/pbxlab.out" 2>"$WORK/pbxlab.log" &
PID_pbxlab=$!
PGIDS+=("$PID_pbxlab")
PORT_kamailio=$(free_port)
mkdir -p "$WORK/kamailio"
setsid kamailio -f "$KAMCFG" -DD -E -m 1024 -M 16 -l "udp:127.0.0.1:$PORT_kamailio" \
	-A "UAS_ADDR=\"127.0.0.1:$UAS_PORT_kamailio\"" -Y "$WORK/kamailio" -P "$WORK/kamailio/kamailio.pid" \
	>"$WORK/kamailio.log" 2>&1 &
PID_kamailio=$!
PGIDS+=("$PID_kamailio")
sleep 1.5
for s in pbxlab kamailio; do
	pid=PID_$s
	kill -0 "${!pid}" 2>/dev/null || {
		log "$s did not start; see $WORK"
		tail -5 "$WORK/$s.log" >&2
		exit 1
	}
done
# pbxlab is up once its admin listener answers (a loaded machine can take seconds)
for _ in $(seq 1 300); do
	curl -sf --max-time 2 -o /dev/null "http://$ADMIN/healthz" && break
	sleep 0.1
done
curl -sf --max-time 5 -o /dev/null "http://$ADMIN/healthz" || {
	log "pbxlab's admin listener $ADMIN does not answer; see $WORK"
	exit 1
}
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

source "$ROOT/bench/phases.sh"
: >"$WORK/fixed.tsv" # the report reads it even when CALL_RATES and REG_RATES are empty

for s in pbxlab kamailio; do storm "$s"; done
for s in pbxlab kamailio; do p99 "$s"; done
for s in pbxlab kamailio; do maxcalls "$s"; done
for rate in $CALL_RATES; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for s in pbxlab kamailio; do fixed_calls "$s" "$rate" "$r"; done
	done
done
for rate in $REG_RATES; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for s in pbxlab kamailio; do fixed_registers "$s" "$rate" "$r"; done
	done
done
R_held=0 R_held_heap_pc=n/a R_held_rss_pc=n/a R_held_ok=0 R_held_fail=0
((HOLD_CALLS > 0)) && held_calls
if [[ $PROFILE == 1 ]]; then
	for rate in $CALL_RATES; do fixed_calls pbxlab "$rate" p; done
	for rate in $REG_RATES; do fixed_registers pbxlab "$rate" p; done
fi
sleep 4
for s in pbxlab kamailio; do
	printf -v "R_${s}_uas_ok" '%s' "$(stat_col "$WORK/uas-$s.csv" 'SuccessfulCall(C)')"
	printf -v "R_${s}_uas_fail" '%s' "$(stat_col "$WORK/uas-$s.csv" 'FailedCall(C)')"
done

source "$ROOT/bench/report.sh"
report >"$WORK/report.md"
mkdir -p "$(dirname "$OUT")"
cp "$WORK/report.md" "$OUT"
cat "$OUT"
if [[ -s $WORK/failures ]]; then
	log "operations failed at a fixed rate (0 required):"
	cat "$WORK/failures" >&2
	exit 1
fi

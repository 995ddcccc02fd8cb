#!/usr/bin/env bash
# bench/sim.sh - `pbxlab sim` against SIPp as a call generator.
#
# Called by `make bench-sim` (not part of make test). One SIPp UAS
# (`sipp -sn uas`) on 127.0.0.1 answers every call; at each rate of RATES
# (calls/s, default "250 500 1000 2000") for DURATION seconds (default 15)
# two generators call it in turn, straight (no PBX, no registration):
#
#   sipp  `sipp -sn uac` (INVITE, 200, ACK, hold HOLD_MS, BYE)
#   sim   `pbxlab sim` with a scenario of 100 phones that do not register
#         (population.register: false) calling the UAS's number
#         (calls.remote), signalling only (audio.share: 0), the same hold
#   sim-1p  the same with GOMAXPROCS=1: one thread running Go code, as SIPp
#         has one (SIM_PROCS lists the runs, default "default 1")
#
# and prints, per generator and rate: calls attempted, answered (SIPp:
# successful), failed, the generator's CPU seconds (user+system, from
# /usr/bin/time) and CPU per call, the UAS's CPU per call meanwhile (from
# /proc: what the generator's way of sending costs the target; SIPp sends
# in bursts, pbxlab sim on its timer tick, --timer-tick), then `ratio
# sim_cpu_per_call X.XX` (sim
# CPU per call / SIPp CPU per call; `ratio sim1p_cpu_per_call` for sim-1p)
# per rate and their median. SIPp is a
# single C++ thread; pbxlab sim is a Go process: both run on this host with
# the UAS and compete with whatever else runs, so the figures compare the
# two generators on this machine, they are not capacity numbers.
#
# Every process started here is in its own process group and killed on exit.
# SIM_CPUPROFILE=DIR writes a pprof CPU profile of each sim run to DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RATES=${RATES:-250 500 1000 2000}
DURATION=${DURATION:-15}
HOLD_MS=${HOLD_MS:-100}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-sim.XXXXXX")
NAME=bench-sim
KEEP=${BENCH_KEEP:-0}
# shellcheck source=scripts/lib/procs.sh
source "$ROOT/scripts/lib/procs.sh"

for tool in sipp go awk jq /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || { log "$tool not found (scripts/install-peers.sh sip-tester)"; exit 1; }
done

# stat_col FILE NAME: the last value of column NAME of a SIPp -trace_stat file.
stat_col() {
	awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
		{ last = $c } END { print last + 0 }' "$1"
}

# cpu FILE: user+system seconds /usr/bin/time wrote to FILE.
cpu() { awk 'END { printf "%.2f", $1 + $2 }' "$1"; }

# uas_ticks: the UAS's utime+stime in clock ticks (/proc).
uas_ticks() { awk '{ print $14 + $15 }' "/proc/$UAS_PID/stat"; }

# per_call TICKS N: milliseconds of CPU per call.
per_call() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", n ? 1000 * t / hz / n : 0 }'; }

log "building pbxlab"
(cd "$ROOT" && go build -o "$WORK/pbxlab" ./cmd/pbxlab)

UAS_PORT=$(free_port)
mkdir -p "$WORK/uas"
(cd "$WORK/uas" && exec setsid sipp -sn uas -nostdin -i 127.0.0.1 -p "$UAS_PORT" >uas.log 2>&1) &
UAS_PID=$!
PGIDS+=("$UAS_PID")
sleep 1
kill -0 "$UAS_PID" 2>/dev/null || { log "SIPp UAS did not start"; cat "$WORK/uas/uas.log" >&2; exit 1; }
log "SIPp UAS on 127.0.0.1:$UAS_PORT (pid $UAS_PID)"

printf '%-6s %-6s %9s %9s %7s %8s %12s %12s\n' gen rate attempted answered failed cpu_s cpu_ms_call uas_ms_call
declare -A RATIOS=()
for rate in $RATES; do
	calls=$((rate * DURATION))
	limit=$((rate * 2 + 100))

	# SIPp UAC
	d=$WORK/sipp-$rate
	mkdir -p "$d"
	u0=$(uas_ticks)
	(cd "$d" && exec setsid /usr/bin/time -f '%U %S' -o time.txt sipp -sn uac -nostdin -i 127.0.0.1 -p "$(free_port)" \
		-r "$rate" -m "$calls" -l "$limit" -d "$HOLD_MS" -s 9000 -trace_stat -stf stat.csv -fd 1 \
		-recv_timeout 10000 "127.0.0.1:$UAS_PORT" >screen.log 2>&1) &
	PGIDS+=("$!")
	wait "$!" || true
	ok=$(stat_col "$d/stat.csv" 'SuccessfulCall(C)')
	fail=$(stat_col "$d/stat.csv" 'FailedCall(C)')
	att=$((ok + fail))
	c_sipp=$(cpu "$d/time.txt")
	pc_sipp=$(awk -v c="$c_sipp" -v n="$att" 'BEGIN { printf "%.4f", n ? 1000 * c / n : 0 }')
	printf '%-6s %-6s %9s %9s %7s %8s %12s %12s\n' sipp "$rate" "$att" "$ok" "$fail" "$c_sipp" "$pc_sipp" "$(per_call $(($(uas_ticks) - u0)) "$att")"

	# pbxlab sim: with the Go runtime's default GOMAXPROCS (one per core), and with GOMAXPROCS=1, the
	# one thread SIPp runs on (SIM_PROCS, default "default 1")
	for procs in ${SIM_PROCS:-default 1}; do
		gen=sim
		env=()
		if [[ $procs != default ]]; then
			gen=sim-${procs}p
			env=(GOMAXPROCS="$procs")
		fi
		d=$WORK/$gen-$rate
		mkdir -p "$d"
		cat >"$d/scenario.yaml" <<SC
name: bench-sim-$rate
population: {count: 100, first: "1000", password: "x", register: false}
behaviours: {answer: 100}
calls: {rate: $rate, hold: ${HOLD_MS}ms, duration: ${DURATION}s, max_concurrent: $limit, remote: {first: "9000", count: 1}}
audio: {share: 0}
seed: 1
SC
		u0=$(uas_ticks)
		prof=()
		if [[ -n ${SIM_CPUPROFILE:-} ]]; then
			mkdir -p "$SIM_CPUPROFILE"
			prof=(--cpuprofile "$SIM_CPUPROFILE/$gen-$rate.pprof")
		fi
		(cd "$d" && exec setsid env "${env[@]}" /usr/bin/time -f '%U %S' -o time.txt "$WORK/pbxlab" sim scenario.yaml \
			--target "127.0.0.1:$UAS_PORT" --json "${prof[@]}" >report.json 2>sim.log) &
		PGIDS+=("$!")
		wait "$!" || true
		att=$(jq '.calls.attempted + .calls.skipped' "$d/report.json" 2>/dev/null || echo 0)
		ok=$(jq '.calls.answered' "$d/report.json" 2>/dev/null || echo 0)
		fail=$((att - ok))
		c_sim=$(cpu "$d/time.txt")
		pc_sim=$(awk -v c="$c_sim" -v n="$att" 'BEGIN { printf "%.4f", n ? 1000 * c / n : 0 }')
		printf '%-6s %-6s %9s %9s %7s %8s %12s %12s\n' "$gen" "$rate" "$att" "$ok" "$fail" "$c_sim" "$pc_sim" "$(per_call $(($(uas_ticks) - u0)) "$att")"
		r=$(awk -v a="$pc_sim" -v b="$pc_sipp" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		key=${gen//-/}
		RATIOS[$key]+="$r "
		echo "ratio ${key}_cpu_per_call $r (rate $rate)"
	done
done
for key in "${!RATIOS[@]}"; do
	# shellcheck disable=SC2086
	median=$(printf '%s\n' ${RATIOS[$key]} | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "ratio ${key}_cpu_per_call $median (median)"
done

#!/usr/bin/env bash
# bench/ab.sh - two pbxlab builds or settings, paired rounds under the same SIPp load.
#
#   bench/ab.sh MODE RATE                 MODE: calls | register
#   A_BIN=/tmp/old B_BIN=bin/pbxlab bench/ab.sh calls 500
#   B_YAML=$'store:\n  commit_delay: 50ms' bench/ab.sh register 1000
#
# Starts two `pbxlab serve` (A and B: A_BIN and B_BIN, default bin/pbxlab built from the working tree;
# A_YAML and B_YAML are appended to each one's configuration, the bench/run.sh configuration), each with
# its own SIPp UAS, then runs PAIRS (default 5) rounds of SECS (default 8) seconds at RATE: calls
# (uac.xml from the trusted 127.0.0.2: INVITE/200/ACK, BYE/200) or REGISTER requests (register.xml:
# REGISTER, 401, REGISTER, 200 for 2,000 digest users refreshing; RATE counts requests), A then B in each
# round, the two servers idle otherwise. Prints each round's CPU ms per operation of A and B (utime+stime
# of the process tree, /proc) and their ratio B/A, then the median ratio.
#
# Pairing is the point: on a shared 2-core machine the CPU per operation of one server moves 10-30 %
# between runs a minute apart, and so does Kamailio's in bench/run.sh; the ratio of two runs back to back
# moves far less. Not part of make test; about PAIRS * 2 * (SECS + 2) seconds.
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 calls|register RATE" >&2; exit 2; }
MODE=$1 RATE=$2
case $MODE in calls | register) ;; *) echo "ab: MODE is calls or register, not $MODE" >&2; exit 2 ;; esac
PAIRS=${PAIRS:-5}
SECS=${SECS:-8}
USERS_N=2000
FIRST_USER=100000

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SC=$ROOT/interop/testdata/sipp
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pbxlab-ab.XXXXXX")
NAME=ab
KEEP=${BENCH_KEEP:-0}
# shellcheck source=scripts/lib/procs.sh
source "$ROOT/scripts/lib/procs.sh"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh" # pbxlab_yaml
for tool in sipp awk; do
	command -v "$tool" >/dev/null 2>&1 || { log "$tool not found (.ci/run installs sip-tester)"; exit 1; }
done

if [[ -z ${A_BIN:-} || -z ${B_BIN:-} ]]; then
	log "building bin/pbxlab"
	(cd "$ROOT" && go build -o bin/pbxlab ./cmd/pbxlab)
fi
A_BIN=${A_BIN:-$ROOT/bin/pbxlab}
B_BIN=${B_BIN:-$ROOT/bin/pbxlab}

CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID: user+system clock ticks of PID (pbxlab serve is one process)
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

USERS=$WORK/users.csv
{
	echo SEQUENTIAL
	for ((u = FIRST_USER; u < FIRST_USER + USERS_N; u++)); do
		echo "$u;[authentication username=$u password=pw$u];"
	done
} >"$USERS"

declare -A PID PORT
for s in A B; do
	uas=$(free_port)
	(cd "$WORK" && exec setsid sipp -nostdin -sf "$SC/uas.xml" -i 127.0.0.1 -p "$uas" >"$WORK/uas-$s.log" 2>&1) &
	PGIDS+=($!)
	PORT[$s]=$(free_port)
	pbxlab_yaml "${PORT[$s]}" "$uas" "$FIRST_USER" "$USERS_N" >"$WORK/$s.yaml"
	extra=${s}_YAML
	[[ -n ${!extra:-} ]] && printf '%s\n' "${!extra}" >>"$WORK/$s.yaml"
	bin=${s}_BIN
	setsid "${!bin}" serve --config "$WORK/$s.yaml" --store "$WORK/$s.db" >"$WORK/$s.out" 2>"$WORK/$s.log" &
	PID[$s]=$!
	PGIDS+=($!)
done
sleep 2
for s in A B; do
	kill -0 "${PID[$s]}" 2>/dev/null || { log "pbxlab $s did not start:"; tail -5 "$WORK/$s.log" >&2; exit 1; }
done

# sipp_run SERVER N: the load of one round (N operations); prints "successful failed"
sipp_run() {
	local d=$WORK/run rc=0
	rm -rf "$d" && mkdir -p "$d"
	if [[ $MODE == calls ]]; then
		(cd "$d" && sipp -nostdin -sf "$SC/uac.xml" -s 2000 -i 127.0.0.2 -p "$(free_port)" -r "$RATE" -m "$2" \
			-l 2000 -recv_timeout 10000 -trace_stat -stf stat.csv -fd 1 "127.0.0.1:${PORT[$1]}" >/dev/null 2>&1) || rc=$?
	else
		(cd "$d" && sipp -nostdin -sf "$SC/register.xml" -inf "$USERS" -i 127.0.0.1 -p "$(free_port)" \
			-r "$((RATE / 2))" -m "$(($2 / 2))" -l 300 -recv_timeout 10000 -trace_stat -stf stat.csv -fd 1 \
			"127.0.0.1:${PORT[$1]}" >/dev/null 2>&1) || rc=$?
	fi
	awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "SuccessfulCall(C)") a = i; if ($i == "FailedCall(C)") b = i } next }
		{ s = $a; f = $b } END { print s + 0, f + 0 }' "$d/stat.csv" 2>/dev/null || echo "0 0"
}

if [[ $MODE == register ]]; then # every user registered once: the rounds refresh
	for s in A B; do sipp_run "$s" $((USERS_N * 2)) >/dev/null; done
fi
n=$((RATE * SECS))
log "$MODE at $RATE/s, $PAIRS pairs of $SECS s; A: ${A_BIN}${A_YAML:+ + A_YAML}; B: ${B_BIN}${B_YAML:+ + B_YAML}"
: >"$WORK/ratios"
declare -A MS
for ((i = 1; i <= PAIRS; i++)); do
	line="round $i:"
	for s in A B; do
		c0=$(cpu_ticks "${PID[$s]}")
		read -r ok failed < <(sipp_run "$s" "$n")
		sleep 1 # the last BYEs and retransmissions
		c1=$(cpu_ticks "${PID[$s]}")
		ops=$n
		[[ $MODE == register ]] && ops=$((ok * 2))
		MS[$s]=$(awk -v a="$c0" -v b="$c1" -v n="$ops" -v hz="$CLK_TCK" 'BEGIN { printf "%.4f", n ? (b - a) * 1000 / hz / n : 0 }')
		line+=" $s ${MS[$s]} ms/op ($ok ok, $failed failed)"
	done
	r=$(awk -v a="${MS[A]}" -v b="${MS[B]}" 'BEGIN { printf "%.3f", a ? b / a : 0 }')
	echo "$line  B/A $r"
	echo "$r" >>"$WORK/ratios"
done
echo "median B/A $(sort -g "$WORK/ratios" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"

#!/usr/bin/env bash
# bench/run.sh - pbxlab against Kamailio under the same SIPp load.
#
# Called by `make bench`. Builds bin/pbxlab, then for each server (pbxlab,
# then Kamailio with bench/kamailio.cfg) on 127.0.0.1 with SIPp as the load
# generator:
#
#   1. registers REG_USERS AORs (default 10,000) with digest authentication
#      (interop/testdata/sipp/register.xml: REGISTER -> 401 -> REGISTER with
#      Authorization -> 200), as fast as the server answers (rate REG_RATE,
#      at most REG_LIMIT registrations in flight): authenticated
#      registrations/s, CPU-seconds per 1,000 REGISTER requests (two per
#      registration), and the growth of the server's memory (PSS, summed
#      over Kamailio's processes) per 10,000 bindings, measured 2 s after the
#      registrations and again after SETTLE seconds (default 35: the
#      REGISTER transactions have ended, RFC 3261 Timer J = 32 s);
#   2. places P99_CALLS calls at P99_RATE calls/s from the trusted address
#      127.0.0.2 through the server to a SIPp UAS (uac.xml/uas.xml:
#      INVITE/200/ACK, BYE/200, no hold): p99 call setup time (INVITE sent
#      -> 200 received, SIPp -trace_rtt) and CPU-seconds per 1,000 calls;
#   3. places MAX_CALLS calls as fast as the server completes them (rate
#      MAX_RATE, at most MAX_LIMIT calls in flight): calls/s.
#
# CPU is utime+stime from /proc/PID/stat (all of Kamailio's processes)
# before/after each step. SIPp runs on the same host and competes for the
# same cores: the figures compare the two servers on this machine, they are
# not capacity numbers.
#
# Prints a table and writes it to bench/results/latest.md (BENCH_OUT).
# Total runtime is about 3-4 minutes on 2 cores. BENCH_QUICK=1 shrinks every
# step for a smoke run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/results/latest.md}
SC=$ROOT/interop/testdata/sipp
KAMCFG=$ROOT/bench/kamailio.cfg

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	def_users=1000 def_p99=600 def_max=1500 SETTLE=${SETTLE:-3}
else
	def_users=10000 def_p99=4000 def_max=10000
fi
REG_USERS=${REG_USERS:-$def_users}
REG_RATE=${REG_RATE:-20000}
REG_LIMIT=${REG_LIMIT:-300}
P99_RATE=${P99_RATE:-200}
P99_CALLS=${P99_CALLS:-$def_p99}
MAX_RATE=${MAX_RATE:-20000}
MAX_LIMIT=${MAX_LIMIT:-300}
MAX_CALLS=${MAX_CALLS:-$def_max}
SETTLE=${SETTLE:-35}
FIRST_USER=100000

for tool in sipp kamailio go awk; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench: $tool not found (.ci/run installs sip-tester and kamailio)" >&2
		exit 1
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pbxlab-bench.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do
		[[ -n $p ]] && kill "$p" 2>/dev/null || true
	done
	sleep 0.5
	for p in "${PIDS[@]:-}"; do
		[[ -n $p ]] && kill -9 "$p" 2>/dev/null || true
	done
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		echo "bench: work files kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

log() { printf 'bench: %s\n' "$*" >&2; }

# port_free PORT: nothing listens on PORT (udp or tcp, v4 or v6).
port_free() {
	local hex
	hex=$(printf ':%04X ' "$1")
	! grep -qs "$hex" /proc/net/udp /proc/net/udp6 /proc/net/tcp /proc/net/tcp6
}

# free_port: a free port in 20000-59999.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if port_free "$p"; then
			echo "$p"
			return
		fi
	done
	echo "bench: no free port" >&2
	exit 1
}

now_ms() { date +%s%3N; }

CLK_TCK=$(getconf CLK_TCK)

# tree PID: PID and its descendants.
tree() {
	local p c
	echo "$1"
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		tree "$c"
	done
}

# cpu_s PID: user+system CPU seconds of PID and its descendants.
cpu_s() {
	local total=0 p f
	for p in $(tree "$1"); do
		if [[ -r /proc/$p/stat ]]; then
			# fields after the ")" of comm: utime is field 14, stime 15
			f=$(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')
			total=$((total + f))
		fi
	done
	awk -v t="$total" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz }'
}

# mem_kb PID: proportional set size (kB) of PID and its descendants, so
# that Kamailio's shared memory is counted once.
mem_kb() {
	local total=0 p v
	for p in $(tree "$1"); do
		v=$(awk '/^Pss:/ { print $2; exit }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# stat_col FILE NAME: the last value of column NAME of a SIPp -trace_stat file.
stat_col() {
	awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
		{ last = $c } END { print last + 0 }' "$1"
}

# run_sipp NAME ARGS...: run SIPp in $WORK/NAME, prints "successful failed ms".
run_sipp() {
	local name=$1
	shift
	local d=$WORK/$name t0 t1 rc=0
	mkdir -p "$d"
	t0=$(now_ms)
	(cd "$d" && sipp -nostdin -trace_stat -stf stat.csv -fd 1 -trace_err -error_file err.log "$@" >screen.log 2>&1) || rc=$?
	t1=$(now_ms)
	if [[ $rc -ne 0 && $rc -ne 1 ]]; then
		log "sipp $name exited $rc; see $d (BENCH_KEEP=1 keeps it)"
		tail -5 "$d/err.log" "$d/screen.log" >&2 || true
	fi
	echo "$(stat_col "$d/stat.csv" 'SuccessfulCall(C)') $(stat_col "$d/stat.csv" 'FailedCall(C)') $((t1 - t0))"
}

# p99_ms DIR: 99th percentile of SIPp's response time 1 (-trace_rtt files).
p99_ms() {
	cat "$1"/*_rtt.csv 2>/dev/null | awk -F';' '$3 == 1 { print $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } i = int(NR * 0.99 + 0.999999); if (i > NR) i = NR; print v[i] }'
}

write_users() {
	local f=$WORK/users.csv
	{
		echo SEQUENTIAL
		for ((u = FIRST_USER; u < FIRST_USER + REG_USERS; u++)); do
			echo "$u;[authentication username=$u password=pw$u];"
		done
	} >"$f"
	echo "$f"
}

# bench_server NAME: runs the three steps against the server whose main PID
# is $SERVER_PID at 127.0.0.1:$SERVER_PORT; sets R_<NAME>_* results.
bench_server() {
	local name=$1 target=127.0.0.1:$SERVER_PORT
	local c0 c1 m0 m1 m2 out ok fail ms

	sleep 1
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		log "$name did not start; see $WORK"
		exit 1
	fi
	m0=$(mem_kb "$SERVER_PID")

	log "$name: registering $REG_USERS AORs with digest authentication"
	c0=$(cpu_s "$SERVER_PID")
	out=$(run_sipp "$name-reg" -sf "$SC/register.xml" -inf "$USERS" -i 127.0.0.1 -p "$(free_port)" \
		-r "$REG_RATE" -rp 1000 -l "$REG_LIMIT" -m "$REG_USERS" -recv_timeout 10000 "$target")
	c1=$(cpu_s "$SERVER_PID")
	read -r ok fail ms <<<"$out"
	sleep 2
	m1=$(mem_kb "$SERVER_PID")
	log "$name: $ok registered, $fail failed in $ms ms; waiting ${SETTLE}s for the transactions to end"
	sleep "$SETTLE"
	m2=$(mem_kb "$SERVER_PID")
	printf -v "R_${name}_reg_ok" '%s' "$ok"
	printf -v "R_${name}_reg_fail" '%s' "$fail"
	printf -v "R_${name}_reg_rate" '%s' "$(awk -v n="$ok" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
	# two REGISTER requests per authenticated registration
	printf -v "R_${name}_reg_cpu" '%s' "$(awk -v a="$c0" -v b="$c1" -v n="$ok" 'BEGIN { printf "%.3f", n ? (b - a) * 1000 / (2 * n) : 0 }')"
	printf -v "R_${name}_rss_busy" '%s' "$(awk -v a="$m0" -v b="$m1" -v n="$ok" 'BEGIN { printf "%.1f", n ? (b - a) / 1024 * 10000 / n : 0 }')"
	printf -v "R_${name}_rss" '%s' "$(awk -v a="$m0" -v b="$m2" -v n="$ok" 'BEGIN { printf "%.1f", n ? (b - a) / 1024 * 10000 / n : 0 }')"
	printf -v "R_${name}_rss_abs" '%s' "$(awk -v b="$m2" 'BEGIN { printf "%.1f", b / 1024 }')"

	log "$name: $P99_CALLS calls at $P99_RATE calls/s"
	c0=$(cpu_s "$SERVER_PID")
	out=$(run_sipp "$name-p99" -sf "$SC/uac.xml" -s 2000 -i 127.0.0.2 -p "$(free_port)" \
		-r "$P99_RATE" -m "$P99_CALLS" -d 0 -trace_rtt -rtt_freq 1 -recv_timeout 10000 "$target")
	c1=$(cpu_s "$SERVER_PID")
	read -r ok fail ms <<<"$out"
	printf -v "R_${name}_p99" '%s' "$(p99_ms "$WORK/$name-p99")"
	printf -v "R_${name}_p99_ok" '%s' "$ok"
	printf -v "R_${name}_p99_fail" '%s' "$fail"
	printf -v "R_${name}_call_cpu" '%s' "$(awk -v a="$c0" -v b="$c1" -v n="$ok" 'BEGIN { printf "%.3f", n ? (b - a) * 1000 / n : 0 }')"
	log "$name: $ok calls, $fail failed"

	log "$name: $MAX_CALLS calls as fast as possible (up to $MAX_LIMIT in flight)"
	out=$(run_sipp "$name-max" -sf "$SC/uac.xml" -s 2000 -i 127.0.0.2 -p "$(free_port)" \
		-r "$MAX_RATE" -rp 1000 -l "$MAX_LIMIT" -m "$MAX_CALLS" -d 0 -recv_timeout 10000 "$target")
	read -r ok fail ms <<<"$out"
	printf -v "R_${name}_cps" '%s' "$(awk -v n="$ok" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
	printf -v "R_${name}_max_ok" '%s' "$ok"
	printf -v "R_${name}_max_fail" '%s' "$fail"
	log "$name: $ok calls, $fail failed in $ms ms"
	# the callee side: calls the UAS saw complete (INVITE, ACK, BYE) or fail
	sleep 4
	printf -v "R_${name}_uas_ok" '%s' "$(stat_col "$WORK/uas-$name.csv" 'SuccessfulCall(C)')"
	printf -v "R_${name}_uas_fail" '%s' "$(stat_col "$WORK/uas-$name.csv" 'FailedCall(C)')"
}

stop_server() {
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	local t0
	t0=$(now_ms)
	for _ in $(seq 1 300); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID" 2>/dev/null || true
			log "$1 stopped $(($(now_ms) - t0)) ms after SIGTERM"
			return 0
		fi
		sleep 0.1
	done
	log "$1 still running 30 s after SIGTERM: SIGKILL"
	kill -9 "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
}

start_uas() {
	UAS_PORT=$(free_port)
	(cd "$WORK" && exec sipp -nostdin -sf "$SC/uas.xml" -i 127.0.0.1 -p "$UAS_PORT" \
		-trace_stat -stf "$WORK/uas-$1.csv" -fd 1 >"$WORK/uas-$1.log" 2>&1) &
	UAS_PID=$!
	PIDS+=("$UAS_PID")
	sleep 0.5
}

stop_uas() {
	kill "$UAS_PID" 2>/dev/null || true
	wait "$UAS_PID" 2>/dev/null || true
}

log "building bin/pbxlab"
(cd "$ROOT" && go build -o bin/pbxlab ./cmd/pbxlab)
USERS=$(write_users)

# --- pbxlab ---
start_uas pbxlab
SERVER_PORT=$(free_port)
cat >"$WORK/pbxlab.yaml" <<EOF
# bench/run.sh: same roles as bench/kamailio.cfg
sip:
  listen: ["udp:127.0.0.1:$SERVER_PORT"]
  user_agent: pbxlab-bench
auth:
  realms:
    - name: pbxlab
      algorithms: [MD5]
log:
  level: warn
# Kamailio proxies signalling only: compare like with like (anchored media
# has its own figures, make bench-media)
media:
  anchor: direct
subscribers:
  - number: "2000"
    contacts: ["sip:2000@127.0.0.1:$UAS_PORT"]
subscriber_ranges:
  - from: "$FIRST_USER"
    to: "$((FIRST_USER + REG_USERS - 1))"
    password: "pw{n}"
trusted_peers:
  - name: sipp
    address: 127.0.0.2
EOF
"$ROOT/bin/pbxlab" serve --config "$WORK/pbxlab.yaml" --store "$WORK/pbxlab.db" >"$WORK/pbxlab.out" 2>"$WORK/pbxlab.log" &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
bench_server pbxlab
stop_server pbxlab
stop_uas

# --- Kamailio ---
start_uas kamailio
SERVER_PORT=$(free_port)
mkdir -p "$WORK/kamailio"
kamailio -f "$KAMCFG" -DD -E -m 1024 -M 16 -l "udp:127.0.0.1:$SERVER_PORT" \
	-A "UAS_ADDR=\"127.0.0.1:$UAS_PORT\"" -Y "$WORK/kamailio" -P "$WORK/kamailio/kamailio.pid" \
	>"$WORK/kamailio.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
bench_server kamailio
stop_server kamailio
stop_uas

# --- report ---
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a / b }'; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

{
	echo "# pbxlab vs Kamailio (bench/run.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pbxlab $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?') ($(go version | awk '{print $3}')), $(kamailio -v 2>/dev/null | head -1), $(sipp -v 2>/dev/null | awk '/SIPp v/ { print $1, $2; exit }')"
	echo
	echo "| figure | pbxlab | Kamailio | pbxlab/Kamailio |"
	echo "|---|---:|---:|---:|"
	row "authenticated registrations/s ($REG_USERS AORs; REGISTER, 401, REGISTER, 200)" "$R_pbxlab_reg_rate" "$R_kamailio_reg_rate"
	row "calls/s through the server (max, $MAX_CALLS calls, <= $MAX_LIMIT in flight)" "$R_pbxlab_cps" "$R_kamailio_cps"
	row "p99 call setup, ms (INVITE -> 200, $P99_CALLS calls at $P99_RATE/s)" "$R_pbxlab_p99" "$R_kamailio_p99"
	row "CPU-seconds per 1,000 calls (at $P99_RATE/s)" "$R_pbxlab_call_cpu" "$R_kamailio_call_cpu"
	row "CPU-seconds per 1,000 REGISTER requests (2 per registration)" "$R_pbxlab_reg_cpu" "$R_kamailio_reg_cpu"
	row "memory growth per 10,000 bindings, MB (PSS, ${SETTLE} s after)" "$R_pbxlab_rss" "$R_kamailio_rss"
	row "memory growth per 10,000 bindings, MB (PSS, 2 s after: transactions alive)" "$R_pbxlab_rss_busy" "$R_kamailio_rss_busy"
	row "memory with $REG_USERS bindings, MB (PSS, ${SETTLE} s after)" "$R_pbxlab_rss_abs" "$R_kamailio_rss_abs"
	echo
	echo "Completed/failed: registrations pbxlab $R_pbxlab_reg_ok/$R_pbxlab_reg_fail, Kamailio $R_kamailio_reg_ok/$R_kamailio_reg_fail;" \
		"calls at $P99_RATE/s pbxlab $R_pbxlab_p99_ok/$R_pbxlab_p99_fail, Kamailio $R_kamailio_p99_ok/$R_kamailio_p99_fail;" \
		"max-rate calls pbxlab $R_pbxlab_max_ok/$R_pbxlab_max_fail, Kamailio $R_kamailio_max_ok/$R_kamailio_max_fail" \
		"(caller side); all calls at the UAS (callee side) pbxlab $R_pbxlab_uas_ok/$R_pbxlab_uas_fail, Kamailio $R_kamailio_uas_ok/$R_kamailio_uas_fail."
	echo
	echo "Notes: SIPp (UAC, UAS, registering clients) runs on the same cores as the server, so the rates"
	echo "are bounded by the host, not only by the server. pbxlab is a B2BUA (two dialogs per call) that"
	echo "writes bindings and CDRs to SQLite; Kamailio is a record-routing transaction-stateful proxy"
	echo "with in-memory usrloc (db_mode 0) and no accounting, 2 UDP workers, 1 GB of shared memory"
	echo "reserved (-m 1024; PSS counts only the pages it touches). Both challenge with MD5 only."
	echo "pbxlab's memory is the Go heap as the runtime keeps it (GOGC default), not a live-data count."
	echo "A ratio above 1 means pbxlab has the larger figure (better for rates, worse for time, CPU, memory)."
} >"$WORK/report.md"

mkdir -p "$(dirname "$OUT")"
cp "$WORK/report.md" "$OUT"
cat "$OUT"

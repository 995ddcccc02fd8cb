# bench/lib.sh - helpers of bench/run.sh (sourced): process trees, CPU and
# memory from /proc, SIPp runs with the generator's own CPU, the PBX's
# /metrics and pprof. The sourcing script sets WORK, ROOT and PIDS.

log() { printf 'bench: %s\n' "$*" >&2; }

# port_free PORT: nothing listens on PORT (udp or tcp, v4 or v6).
port_free() {
	local hex
	hex=$(printf ':%04X ' "$1")
	! grep -qs "$hex" /proc/net/udp /proc/net/udp6 /proc/net/tcp /proc/net/tcp6
}

# free_port [LOW SPAN]: a free port in LOW..LOW+SPAN-1 (default 20000-59999;
# 20000 12768 stays below Linux's ephemeral ports, 32768-60999, which other
# processes' connections take at any time).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((${1:-20000} + RANDOM % ${2:-40000}))
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
	local c
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
			f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
			total=$((total + ${f:-0}))
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

# status_kb PID FIELD: a field of /proc/PID/status in kB (VmRSS, VmHWM).
status_kb() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null || echo 0; }

# metric ADMIN NAME: a sample of the PBX's /metrics as an integer.
metric() { { curl -s --max-time 10 "http://$1/metrics" || true; } | awk -v n="$2" '$1 == n { printf "%.0f", $2; exit }'; }

# heap_gc ADMIN FILE: a heap profile after a garbage collection into FILE
# (admin.pprof), then the Go heap in use (bytes) after that collection.
heap_gc() {
	curl -s --max-time 60 -o "$2" "http://$1/debug/pprof/heap?gc=1" || log "GET http://$1/debug/pprof/heap?gc=1 failed"
	metric "$1" go_memstats_heap_inuse_bytes
}

# profile ADMIN SECS PREFIX: in the background a CPU profile of the next
# SECS seconds (PREFIX.cpu.pprof; its curl PID appended to PROF_PIDS), and
# now a heap profile after GC, the start of PREFIX.allocs.pprof
# (profile_end).
profile() {
	curl -s --max-time $(($2 + 30)) -o "$3.cpu.pprof" "http://$1/debug/pprof/profile?seconds=$2" &
	PROF_PIDS+=($!)
	PIDS+=($!)
	curl -s --max-time 60 -o "$3.allocs0.pprof" "http://$1/debug/pprof/heap?gc=1" || log "no heap profile from $1"
}

# profile_end ADMIN PREFIX: waits for the CPU profile, then writes
# PREFIX.allocs.pprof: the allocations since profile (the heap profile's
# alloc_space/alloc_objects after a GC, minus those of its start: a delta
# /debug/pprof/allocs?seconds=N would be empty when no GC ran meanwhile).
profile_end() {
	if ((${#PROF_PIDS[@]} > 0)); then
		wait "${PROF_PIDS[@]}" 2>/dev/null || true
		PROF_PIDS=()
	fi
	curl -s --max-time 60 -o "$2.allocs1.pprof" "http://$1/debug/pprof/heap?gc=1" || log "no heap profile from $1"
	go tool pprof -proto -sample_index=alloc_space -base "$2.allocs0.pprof" "$2.allocs1.pprof" >"$2.allocs.pprof" 2>/dev/null ||
		log "no allocation profile $2.allocs.pprof"
	rm -f "$2.allocs0.pprof" "$2.allocs1.pprof"
}

# stat_col FILE NAME: the last value of column NAME of a SIPp -trace_stat file.
stat_col() {
	awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
		{ last = $c } END { print last + 0 }' "$1" 2>/dev/null || echo 0
}

# children_cpu FILE: CPU seconds (user + system) of the waited-for children
# of the shell that ran `times >FILE` (its second line: "0m1.20s 0m0.30s";
# times must run in that shell, not in a command substitution's subshell).
children_cpu() {
	awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%.3f", n }' "$1"
}

# run_sipp NAME ARGS...: run SIPp in $WORK/NAME; prints "successful failed
# ms sipp_cpu_s" (sipp_cpu_s: the UAC's own user+system CPU).
run_sipp() {
	local name=$1
	shift
	local d=$WORK/$name t0 t1 c0 c1 rc=0
	mkdir -p "$d"
	t0=$(now_ms)
	times >"$d/times0"
	(cd "$d" && exec sipp -nostdin -trace_stat -stf stat.csv -fd 1 -trace_err -error_file err.log "$@" >screen.log 2>&1) || rc=$?
	times >"$d/times1"
	t1=$(now_ms)
	c0=$(children_cpu "$d/times0")
	c1=$(children_cpu "$d/times1")
	if [[ $rc -ne 0 && $rc -ne 1 ]]; then
		log "sipp $name exited $rc; see $d (BENCH_KEEP=1 keeps it)"
		tail -n 5 "$d/err.log" "$d/screen.log" >&2 || true
	fi
	echo "$(stat_col "$d/stat.csv" 'SuccessfulCall(C)') $(stat_col "$d/stat.csv" 'FailedCall(C)') $((t1 - t0)) $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')"
}

# p99_ms DIR: 99th percentile of the call set-up time, INVITE sent -> its 200 received, in ms with
# microseconds, from SIPp's message log (DIR/msg.log, -trace_msg: each message stamped to the us);
# without one, from SIPp's response time 1 (-trace_rtt files: whole milliseconds, so a fast server
# reads 0).
p99_ms() {
	if [[ -s $1/msg.log ]]; then
		setup_ms <"$1/msg.log"
	else
		cat "$1"/*_rtt.csv 2>/dev/null | awk -F';' '$3 == 1 { print $2 }'
	fi | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } i = int(NR * 0.99 + 0.999999); if (i > NR) i = NR; print v[i] }'
}

# setup_ms: reads a SIPp message log (-trace_msg) and prints, per Call-ID, the ms from its first
# INVITE sent to the first 200 to an INVITE received (a log crossing midnight is handled).
setup_ms() {
	awk '
	{ sub(/\r$/, "") }
	/^-+ [0-9]+-[0-9]+-[0-9]+ [0-9:.]+$/ {
		if ($2 != day) { if (day != "") off += 86400; day = $2 }
		split($3, t, ":"); ts = off + t[1] * 3600 + t[2] * 60 + t[3]; kind = ""; next
	}
	/^INVITE / { kind = "inv"; next }
	/^SIP\/2\.0 200 / { kind = "ok"; next }
	tolower($1) == "call-id:" || $1 == "i:" { cid = $2; next }
	tolower($1) == "cseq:" {
		if ($3 == "INVITE") {
			if (kind == "inv" && !(cid in t0)) t0[cid] = ts
			if (kind == "ok" && !(cid in t1)) t1[cid] = ts
		}
		kind = ""
	}
	END { for (c in t1) if (c in t0) printf "%.3f\n", (t1[c] - t0[c]) * 1000 }'
}

# median: the median of the numbers on stdin ("n/a" for none).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A/B with two decimals, n/a when either is missing or B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a / b }'; }

# poll_mem PID ADMIN FILE: every 0.5 s until killed, "rss_kb heap_bytes" of
# the PBX (ADMIN "": "pss_kb 0" of the process tree, for Kamailio) to FILE.
poll_mem() {
	while :; do
		if [[ -n $2 ]]; then
			echo "$(status_kb "$1" VmRSS) $(metric "$2" go_memstats_heap_inuse_bytes)"
		else
			echo "$(mem_kb "$1") 0"
		fi
		sleep 0.5
	done >"$3"
}

# pbxlab_yaml PORT UAS_PORT FIRST_USER USERS [ADMIN]: the configuration bench/run.sh and bench/ab.sh run
# pbxlab with (same roles as bench/kamailio.cfg): UDP on 127.0.0.1:PORT, digest users FIRST_USER..
# FIRST_USER+USERS-1 with passwords pw<user>, number 2000 at the SIPp UAS on UAS_PORT, the trusted
# 127.0.0.2, media not anchored; with ADMIN, the admin listener there with pprof.
pbxlab_yaml() {
	cat <<EOF
# bench: same roles as bench/kamailio.cfg
sip:
  listen: ["udp:127.0.0.1:$1"]
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
    contacts: ["sip:2000@127.0.0.1:$2"]
subscriber_ranges:
  - from: "$3"
    to: "$(($3 + $4 - 1))"
    password: "pw{n}"
trusted_peers:
  - name: sipp
    address: 127.0.0.2
EOF
	if [[ -n ${5:-} ]]; then
		printf 'admin:\n  listen: %s\n  pprof: true\n' "$5"
	fi
}

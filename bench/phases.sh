# bench/phases.sh - the steps of bench/run.sh (sourced after bench/lib.sh).
# Each takes the server's name (pbxlab or kamailio) and reads PID_name,
# PORT_name, UAS_PID_name; results go to R_name_* variables and, for the
# fixed-rate steps, to $WORK/fixed.tsv (kind server rate round ok failed
# server_cpu_s generator_cpu_s expected) and $WORK/failures.

# storm NAME: MEM_BINDINGS registrations as fast as the server takes them.
storm() {
	local s=$1 pid port admin="" m0 m1 m2 h0=0 h2=0 c0 c1 out ok fail ms gcpu poller
	pid=PID_$s pid=${!pid} port=PORT_$s port=${!port}
	if [[ $s == pbxlab ]]; then
		admin=$ADMIN
		h0=$(heap_gc "$admin" "$WORK/heap0.pprof")
	fi
	m0=$(mem_kb "$pid")
	poll_mem "$pid" "$admin" "$WORK/poll-$s" &
	poller=$!
	PIDS+=("$poller")
	[[ $s == pbxlab && $PROFILE == 1 ]] && profile "$admin" "$((RATE_SECS < 10 ? RATE_SECS : 10))" "$PROFILES_DIR/pbxlab-storm"
	log "$s: registering $MEM_BINDINGS AORs with digest authentication"
	c0=$(cpu_s "$pid")
	out=$(run_sipp "$s-storm" -sf "$SC/register.xml" -inf "$USERS" -i 127.0.0.1 -p "$REG_PORT" \
		-r "$REG_RATE" -rp 1000 -l "$REG_LIMIT" -m "$MEM_BINDINGS" -recv_timeout 10000 "127.0.0.1:$port")
	c1=$(cpu_s "$pid")
	kill "$poller" 2>/dev/null || true
	wait "$poller" 2>/dev/null || true
	read -r ok fail ms _ <<<"$out"
	sleep 2
	m1=$(mem_kb "$pid")
	log "$s: $ok registered, $fail failed in $ms ms; waiting ${SETTLE}s for the transactions to end"
	sleep "$SETTLE"
	if [[ $s == pbxlab ]]; then
		[[ $PROFILE == 1 ]] && profile_end "$admin" "$PROFILES_DIR/pbxlab-storm"
		h2=$(heap_gc "$admin" "$PROFILES_DIR/pbxlab-bindings.heap.pprof")
		R_pbxlab_rss_mb=$(awk -v k="$(status_kb "$pid" VmRSS)" 'BEGIN { printf "%.1f", k / 1024 }')
		R_pbxlab_peak_mb=$(awk -v k="$(status_kb "$pid" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')
		R_pbxlab_peak_heap_mb=$(awk '$2 > m { m = $2 } END { printf "%.1f", m / 1048576 }' "$WORK/poll-$s")
		R_pbxlab_heap_mb=$(awk -v b="$h2" 'BEGIN { printf "%.1f", b / 1048576 }')
		R_pbxlab_heap_pb=$(awk -v a="$h0" -v b="$h2" -v n="$ok" 'BEGIN { printf "%.0f", n ? (b - a) / n : 0 }')
	else
		R_kamailio_peak_mb=$(awk '$1 > m { m = $1 } END { printf "%.1f", m / 1024 }' "$WORK/poll-$s")
	fi
	m2=$(mem_kb "$pid")
	printf -v "R_${s}_reg_ok" '%s' "$ok"
	printf -v "R_${s}_reg_fail" '%s' "$fail"
	printf -v "R_${s}_reg_rate" '%s' "$(awk -v n="$ok" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
	printf -v "R_${s}_reg_cpu" '%s' "$(awk -v a="$c0" -v b="$c1" -v n="$ok" 'BEGIN { printf "%.3f", n ? (b - a) * 1000 / (2 * n) : 0 }')"
	printf -v "R_${s}_pss_busy_pb" '%s' "$(awk -v a="$m0" -v b="$m1" -v n="$ok" 'BEGIN { printf "%.0f", n ? (b - a) * 1024 / n : 0 }')"
	printf -v "R_${s}_pss_pb" '%s' "$(awk -v a="$m0" -v b="$m2" -v n="$ok" 'BEGIN { printf "%.0f", n ? (b - a) * 1024 / n : 0 }')"
	printf -v "R_${s}_pss_mb" '%s' "$(awk -v b="$m2" 'BEGIN { printf "%.1f", b / 1024 }')"
}

# p99 NAME: P99_CALLS calls at P99_RATE calls/s, p99 setup time.
p99() {
	local s=$1 pid port c0 c1 out ok fail
	pid=PID_$s pid=${!pid} port=PORT_$s port=${!port}
	log "$s: $P99_CALLS calls at $P99_RATE calls/s"
	c0=$(cpu_s "$pid")
	out=$(run_sipp "$s-p99" -sf "$SC/uac.xml" -s 2000 -i 127.0.0.2 -p "$(free_port)" \
		-r "$P99_RATE" -m "$P99_CALLS" -d 0 -trace_rtt -rtt_freq 1 -trace_msg -message_file msg.log \
		-recv_timeout 10000 "127.0.0.1:$port")
	c1=$(cpu_s "$pid")
	read -r ok fail _ _ <<<"$out"
	printf -v "R_${s}_p99" '%s' "$(p99_ms "$WORK/$s-p99")"
	printf -v "R_${s}_p99_ok" '%s' "$ok"
	printf -v "R_${s}_p99_fail" '%s' "$fail"
	log "$s: $ok calls, $fail failed"
}

# maxcalls NAME: MAX_CALLS calls as fast as the server completes them.
maxcalls() {
	local s=$1 port out ok fail ms
	port=PORT_$s port=${!port}
	log "$s: $MAX_CALLS calls as fast as possible (up to $MAX_LIMIT in flight)"
	out=$(run_sipp "$s-max" -sf "$SC/uac.xml" -s 2000 -i 127.0.0.2 -p "$(free_port)" \
		-r "$MAX_RATE" -rp 1000 -l "$MAX_LIMIT" -m "$MAX_CALLS" -d 0 -recv_timeout 10000 "127.0.0.1:$port")
	read -r ok fail ms _ <<<"$out"
	printf -v "R_${s}_cps" '%s' "$(awk -v n="$ok" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
	printf -v "R_${s}_max_ok" '%s' "$ok"
	printf -v "R_${s}_max_fail" '%s' "$fail"
	log "$s: $ok calls, $fail failed in $ms ms"
}

# fixed KIND NAME RATE ROUND N OPS_PER ARGS...: one fixed-rate SIPp run of
# N scenario calls; ROUND "p" is the unmeasured profiling run.
fixed() {
	local kind=$1 s=$2 rate=$3 round=$4 n=$5 per=$6
	shift 6
	local pid port uas c0 c1 u0 u1 out ok fail gcpu lport
	pid=PID_$s pid=${!pid} port=PORT_$s port=${!port} uas=UAS_PID_$s uas=${!uas}
	# the registering clients keep the storm's contact: their REGISTERs refresh its bindings
	lport=$(free_port)
	if [[ $kind == registers ]]; then
		if port_free "$REG_PORT"; then
			lport=$REG_PORT
		else
			log "$s: port $REG_PORT taken meanwhile: registering from $lport (new contacts)"
		fi
	fi
	[[ $round == p ]] && profile "$ADMIN" "$RATE_SECS" "$PROFILES_DIR/pbxlab-$kind-$rate"
	u0=$(cpu_s "$uas")
	c0=$(cpu_s "$pid")
	out=$(run_sipp "$s-$kind-$rate-$round" "$@" -p "$lport" -m "$n" -recv_timeout 10000 "127.0.0.1:$port")
	c1=$(cpu_s "$pid")
	u1=$(cpu_s "$uas")
	read -r ok fail _ gcpu <<<"$out"
	if [[ $round == p ]]; then
		profile_end "$ADMIN" "$PROFILES_DIR/pbxlab-$kind-$rate"
		log "$s: $kind at $rate/s (profiled): $ok ok, $fail failed"
		return
	fi
	[[ $kind == registers ]] && u1=$u0
	echo "$kind $s $rate $round $((ok * per)) $((fail * per)) $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }') $(awk -v g="$gcpu" -v a="$u0" -v b="$u1" 'BEGIN { printf "%.3f", g + b - a }') $((n * per))" >>"$WORK/fixed.tsv"
	log "$s: $kind at $rate/s, round $round: $((ok * per)) ok, $((fail * per)) failed, server $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }') CPU-s, SIPp $gcpu + UAS $(awk -v a="$u0" -v b="$u1" 'BEGIN { printf "%.2f", b - a }') CPU-s"
	if ((fail > 0 || ok < n)); then
		echo "$kind $s at $rate/s round $round: $((ok * per)) ok, $((fail * per)) failed of $((n * per))" >>"$WORK/failures"
	fi
}

# fixed_calls NAME RATE ROUND: RATE calls/s for RATE_SECS through the server.
fixed_calls() {
	fixed calls "$1" "$2" "$3" "$(($2 * RATE_SECS))" 1 -sf "$SC/uac.xml" -s 2000 -i 127.0.0.2 -r "$2" -d 0
}

# fixed_registers NAME RATE ROUND: RATE REGISTER requests/s for RATE_SECS
# (RATE/2 authenticated registrations/s of the same AORs: refreshes).
fixed_registers() {
	local regs=$(($2 / 2))
	fixed registers "$1" "$2" "$3" "$((regs * RATE_SECS))" 2 -sf "$SC/register.xml" -inf "$USERS" -i 127.0.0.1 -r "$regs"
}

# held_calls: HOLD_CALLS signalling-only calls held open through pbxlab;
# the Go heap (after GC) and RSS growth per call once the INVITE
# transactions ended. Both figures are taken after pbxlab gave back the
# heap of the bursts before them (memory.release_when_quiet: 64*T1 of
# quiet after a burst), or the RSS growth would be the difference of two
# releases.
held_calls() {
	local pid=$PID_pbxlab h0 h1 m0 m1 active=0 deadline pause_ms d=$WORK/pbxlab-held sp rel0
	rel0=$(metric "$ADMIN" pbxlab_memory_releases_total)
	deadline=$(($(date +%s) + HOLD_SETTLE))
	log "pbxlab: waiting up to ${HOLD_SETTLE}s for the heap of the phases before to be given back"
	while (($(date +%s) < deadline)) && [[ $(metric "$ADMIN" pbxlab_memory_releases_total) == "$rel0" ]]; do
		sleep 1
	done
	h0=$(heap_gc "$ADMIN" "$WORK/heap-held0.pprof")
	m0=$(status_kb "$pid" VmRSS)
	pause_ms=$(((HOLD_CALLS / HOLD_RATE + HOLD_SETTLE + 20) * 1000))
	log "pbxlab: $HOLD_CALLS calls at $HOLD_RATE/s held ${pause_ms} ms"
	mkdir -p "$d"
	(cd "$d" && exec setsid sipp -nostdin -trace_stat -stf stat.csv -fd 1 -sf "$SC/uac.xml" -s 2000 -i 127.0.0.2 \
		-p "$(free_port)" -r "$HOLD_RATE" -m "$HOLD_CALLS" -l "$((HOLD_CALLS + 10))" -d "$pause_ms" \
		-recv_timeout 10000 "127.0.0.1:$PORT_pbxlab" >screen.log 2>&1) &
	sp=$!
	PGIDS+=("$sp")
	deadline=$(($(date +%s) + HOLD_CALLS / HOLD_RATE + 30))
	while (($(date +%s) < deadline)); do
		active=$(metric "$ADMIN" pbxlab_active_calls)
		((${active:-0} >= HOLD_CALLS)) && break
		sleep 1
	done
	sleep "$HOLD_SETTLE"
	active=$(metric "$ADMIN" pbxlab_active_calls)
	h1=$(heap_gc "$ADMIN" "$PROFILES_DIR/pbxlab-held-calls.heap.pprof")
	m1=$(status_kb "$pid" VmRSS)
	R_held=${active:-0}
	R_held_heap_pc=$(awk -v a="$h0" -v b="$h1" -v n="$R_held" 'BEGIN { printf "%.0f", n ? (b - a) / n : 0 }')
	R_held_rss_pc=$(awk -v a="$m0" -v b="$m1" -v n="$R_held" 'BEGIN { printf "%.0f", n ? (b - a) * 1024 / n : 0 }')
	log "pbxlab: $R_held calls in progress: $R_held_heap_pc B heap, $R_held_rss_pc B RSS per call; waiting for the BYEs"
	wait "$sp" 2>/dev/null || true
	R_held_ok=$(stat_col "$d/stat.csv" 'SuccessfulCall(C)')
	R_held_fail=$(stat_col "$d/stat.csv" 'FailedCall(C)')
}

# bench/report.sh - the report of bench/run.sh (sourced): `report` prints
# the markdown of bench/results/latest.md from the R_* variables and
# $WORK/fixed.tsv.

# per_op KIND SERVER RATE COLUMN: CPU ms per operation of each round (COLUMN
# 7: the server, 8: the generator), one a line.
per_op() {
	awk -v k="$1" -v s="$2" -v r="$3" -v c="$4" '$1 == k && $2 == s && $3 == r && $5 > 0 { printf "%.4f\n", $c * 1000 / $5 }' "$WORK/fixed.tsv" 2>/dev/null
}

# round_ratios KIND: pbxlab/Kamailio server CPU per operation of each
# (rate, round), one a line.
round_ratios() {
	awk -v k="$1" '$1 == k && $5 > 0 { v[$2 " " $3 " " $4] = $7 / $5; key[$3 " " $4] = 1 }
		END { for (x in key) if (("kamailio " x) in v && v["kamailio " x] > 0) printf "%.4f\n", v["pbxlab " x] / v["kamailio " x] }' "$WORK/fixed.tsv" 2>/dev/null
}

# fails KIND SERVER RATE: operations that did not succeed over the rounds
# (failed or never completed: expected - ok).
fails() { awk -v k="$1" -v s="$2" -v r="$3" '$1 == k && $2 == s && $3 == r { n += $9 - $5 } END { print n + 0 }' "$WORK/fixed.tsv" 2>/dev/null; }

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

fixed_rows() {
	local kind=$1 unit=$2 rate p k gp gk
	for rate in $3; do
		p=$(per_op "$kind" pbxlab "$rate" 7 | median)
		k=$(per_op "$kind" kamailio "$rate" 7 | median)
		gp=$(per_op "$kind" pbxlab "$rate" 8 | median)
		gk=$(per_op "$kind" kamailio "$rate" 8 | median)
		printf '| %s %s/s | %s | %s | %s | %s | %s | %s / %s |\n' "$rate" "$unit" \
			"$(awk -v v="$p" 'BEGIN { printf (v == "n/a" ? "n/a" : "%.3f"), v }')" \
			"$(awk -v v="$k" 'BEGIN { printf (v == "n/a" ? "n/a" : "%.3f"), v }')" "$(ratio "$p" "$k")" \
			"$(awk -v v="$gp" 'BEGIN { printf (v == "n/a" ? "n/a" : "%.3f"), v }')" \
			"$(awk -v v="$gk" 'BEGIN { printf (v == "n/a" ? "n/a" : "%.3f"), v }')" \
			"$(fails "$kind" pbxlab "$rate")" "$(fails "$kind" kamailio "$rate")"
	done
}

report() {
	local rc rr
	rc=$(round_ratios calls | median)
	rr=$(round_ratios registers | median)
	echo "# pbxlab vs Kamailio (bench/run.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pbxlab $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?') ($(go version | awk '{print $3}')), $(kamailio -v 2>/dev/null | head -1), $(sipp -v 2>/dev/null | awk '/SIPp v/ { print $1, $2; exit }')"
	echo
	echo "## CPU per operation at fixed rates (medians of $ROUNDS rounds of ${RATE_SECS} s)"
	echo
	echo "| load | pbxlab CPU ms/op | Kamailio CPU ms/op | pbxlab/Kamailio | SIPp CPU ms/op beside pbxlab | beside Kamailio | failed ops pbxlab / Kamailio |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	fixed_rows calls calls "$CALL_RATES"
	fixed_rows registers REGISTER "$REG_RATES"
	echo
	echo '```'
	printf 'ratio cpu_per_call %s\n' "$(awk -v v="$rc" 'BEGIN { printf (v == "n/a" ? "n/a" : "%.2f"), v }')"
	printf 'ratio cpu_per_register %s\n' "$(awk -v v="$rr" 'BEGIN { printf (v == "n/a" ? "n/a" : "%.2f"), v }')"
	printf 'bytes_per_binding %s\n' "$R_pbxlab_heap_pb"
	printf 'bytes_per_call %s\n' "$R_held_heap_pc"
	echo '```'
	echo
	echo "A call is INVITE/200/ACK, BYE/200 from the trusted 127.0.0.2 to the SIPp UAS (pbxlab: two dialogs, a"
	echo "CDR in SQLite); a REGISTER operation is one request of REGISTER/401/REGISTER/200 (the AORs of the"
	echo "storm refreshing). Server CPU: utime+stime of its process tree (/proc). SIPp CPU: the UAC plus,"
	echo "for calls, the UAS. The ratio lines are the medians of pbxlab/Kamailio over every (rate, round)"
	echo "pair, each pair run back to back."
	echo
	echo "## Memory (pbxlab: Go heap in use after a forced GC and RSS; Kamailio: PSS of its processes)"
	echo
	echo "| figure | pbxlab | Kamailio |"
	echo "|---|---:|---:|"
	echo "| $MEM_BINDINGS bindings, ${SETTLE} s after the storm: Go heap in use, MB | $R_pbxlab_heap_mb | - |"
	echo "| same: bytes of Go heap per binding (\`bytes_per_binding\`) | $R_pbxlab_heap_pb | - |"
	echo "| same: RSS, MB | $R_pbxlab_rss_mb | - |"
	echo "| same: PSS, MB | $R_pbxlab_pss_mb | $R_kamailio_pss_mb |"
	echo "| same: PSS growth per binding, bytes | $R_pbxlab_pss_pb | $R_kamailio_pss_pb |"
	echo "| PSS growth per binding 2 s after the storm (transactions alive), bytes | $R_pbxlab_pss_busy_pb | $R_kamailio_pss_busy_pb |"
	echo "| peak during the storm, MB (pbxlab: VmHWM; Kamailio: PSS polled every 0.5 s) | $R_pbxlab_peak_mb | $R_kamailio_peak_mb |"
	echo "| peak Go heap in use during the storm (polled every 0.5 s), MB | $R_pbxlab_peak_heap_mb | - |"
	echo "| $R_held calls held open (signalling only), ${HOLD_SETTLE} s after set-up: Go heap per call (\`bytes_per_call\`) | $R_held_heap_pc | - |"
	echo "| same: RSS growth per call, bytes | $R_held_rss_pc | - |"
	echo
	echo "## Rates and latency"
	echo
	echo "| figure | pbxlab | Kamailio | pbxlab/Kamailio |"
	echo "|---|---:|---:|---:|"
	row "authenticated registrations/s ($MEM_BINDINGS AORs; REGISTER, 401, REGISTER, 200; <= $REG_LIMIT in flight)" "$R_pbxlab_reg_rate" "$R_kamailio_reg_rate"
	row "calls/s through the server (max, $MAX_CALLS calls, <= $MAX_LIMIT in flight)" "$R_pbxlab_cps" "$R_kamailio_cps"
	row "p99 call setup, ms (INVITE -> 200, $P99_CALLS calls at $P99_RATE/s)" "$R_pbxlab_p99" "$R_kamailio_p99"
	row "CPU ms per REGISTER request during the storm" "$R_pbxlab_reg_cpu" "$R_kamailio_reg_cpu"
	echo
	echo "Completed/failed: storm registrations pbxlab $R_pbxlab_reg_ok/$R_pbxlab_reg_fail, Kamailio $R_kamailio_reg_ok/$R_kamailio_reg_fail;" \
		"calls at $P99_RATE/s pbxlab $R_pbxlab_p99_ok/$R_pbxlab_p99_fail, Kamailio $R_kamailio_p99_ok/$R_kamailio_p99_fail;" \
		"max-rate calls pbxlab $R_pbxlab_max_ok/$R_pbxlab_max_fail, Kamailio $R_kamailio_max_ok/$R_kamailio_max_fail;" \
		"held calls pbxlab $R_held_ok/$R_held_fail (caller side); every call at the UAS (callee side) pbxlab $R_pbxlab_uas_ok/$R_pbxlab_uas_fail, Kamailio $R_kamailio_uas_ok/$R_kamailio_uas_fail."
	echo
	echo "Profiles of pbxlab (admin.pprof) in bench/results/profiles/ (not in git): pbxlab-calls-RATE and"
	echo "pbxlab-registers-RATE .cpu.pprof/.allocs.pprof (an extra unmeasured run of each fixed-rate phase),"
	echo "pbxlab-storm (the first seconds of the storm, taken while it was measured), pbxlab-bindings.heap.pprof"
	echo "and pbxlab-held-calls.heap.pprof; read them with \`go tool pprof -top FILE\`."
	echo
	echo "Notes: SIPp (UAC, UAS, registering clients) runs on the same cores as the servers, on a machine"
	echo "shared with other work: the rates are bounded by the host, and only the ratios of one run mean"
	echo "much. pbxlab is a B2BUA (two dialogs per call) that writes bindings and CDRs to SQLite; Kamailio"
	echo "is a record-routing transaction-stateful proxy with in-memory usrloc (db_mode 0), no dialog"
	echo "module and no accounting, 2 UDP workers, 1 GB of shared memory reserved (-m 1024; PSS counts only"
	echo "the pages it touches), so it keeps nothing per call in progress once the transactions ended."
	echo "Both challenge with MD5 only. A ratio above 1 means pbxlab has the larger figure (better for"
	echo "rates, worse for time, CPU, memory)."
}

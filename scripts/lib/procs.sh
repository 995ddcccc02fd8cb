# Sourced by the benchmark scripts (bench/sim.sh, scripts/sim-100k.sh): process groups killed on exit and
# a free loopback port. The sourcing script sets NAME (its log prefix), WORK (its work folder) and KEEP
# (1: keep WORK), and appends the process-group id of everything it starts (setsid) to PGIDS.
PGIDS=()

log() { printf '%s: %s\n' "$NAME" "$*" >&2; }

# cleanup: TERM then KILL every process group in PGIDS; remove WORK unless KEEP=1.
cleanup() {
	local g
	for g in "${PGIDS[@]:-}"; do
		[[ -n $g ]] && kill -TERM -- "-$g" 2>/dev/null || true
	done
	sleep 0.5
	for g in "${PGIDS[@]:-}"; do
		[[ -n $g ]] && kill -KILL -- "-$g" 2>/dev/null || true
	done
	if [[ ${KEEP:-0} == 1 ]]; then
		log "work files kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port: a port no UDP or TCP socket of this host uses now.
free_port() {
	local p hex
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		hex=$(printf ':%04X ' "$p")
		if ! grep -qs "$hex" /proc/net/udp /proc/net/udp6 /proc/net/tcp /proc/net/tcp6; then
			echo "$p"
			return
		fi
	done
	log "no free port"
	exit 1
}

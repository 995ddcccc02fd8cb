#!/usr/bin/env bash
# bench/soak.sh - `make soak`: pbxlab sim against the real `pbxlab serve`
# binary for SOAK (default 30m) at SOAK_RATE (default 100) calls/s, with
# SOAK_PHONES (default 10,000) phones whose registrations last
# SOAK_EXPIRES (default 120s), so every phone refreshes during the run
# (~SOAK_PHONES / (0.7 x SOAK_EXPIRES) refreshes/s). Calls are answered,
# held SOAK_HOLD (default 3s), signalling only (audio share 0: the load is
# the PBX's, not RTP).
#
# The PBX runs with admin.listen on loopback (Prometheus /metrics). A
# sample every 5 s (RSS from /proc/PID/status, open fds from /proc/PID/fd,
# goroutines and Go heap from /metrics) goes to soak.csv in the work folder.
# Prints:
#
#   failed calls          attempted - answered (+ skipped), must be 0
#   failed registrations  must be 0
#   rss at the reference point (after the warm-up: 1/6 of the run, 5 min
#                         of 30, or the registration lifetime + 35 s
#                         when that is later and leaves 15 s) and at the
#                         end of the calls, growth %
#   goroutines, open fds  idle before the phones register and idle after
#                         they unregistered (leak check), and under load at
#                         the reference point and at the end
#   cdrs                  rows of the cdr table (ANSWERED) vs calls the
#                         simulator completed (answered); no row left
#                         IN_PROGRESS
#
# and exits 1 when a criterion fails: a failed call or registration, RSS
# growth above SOAK_MAX_GROWTH % (default 5, the issue's goal) from the reference to the end,
# goroutines after the run above the idle baseline + 20 or fds above it
# + 5 (SOAK_DRAIN, default 60 s after the 35 s drain, to come back), CDRs
# not matching the answered calls. SOAK=3m make soak is the short
# variant. Every process started here is in its own process group and is
# killed on exit; KEEP=1 keeps the work folder. Both processes share this
# host's cores with whatever else runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOAK=${SOAK:-30m}
SOAK_RATE=${SOAK_RATE:-100}
SOAK_PHONES=${SOAK_PHONES:-10000}
SOAK_EXPIRES=${SOAK_EXPIRES:-120s}
SOAK_HOLD=${SOAK_HOLD:-3s}
SOAK_MAX_GROWTH=${SOAK_MAX_GROWTH:-5}
FIRST=300000
NAME=soak
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pbxlab-soak.XXXXXX")
KEEP=${KEEP:-0}
# shellcheck source=scripts/lib/procs.sh
source "$ROOT/scripts/lib/procs.sh"

# seconds DURATION: 90s, 3m, 1h (or plain seconds) in seconds.
seconds() {
	case $1 in
	*h) echo $((${1%h} * 3600)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}
DUR=$(seconds "$SOAK")
((DUR >= 30)) || {
	log "SOAK=$SOAK: at least 30s"
	exit 2
}
for tool in go curl sqlite3 awk; do
	command -v "$tool" >/dev/null 2>&1 || {
		log "$tool not found"
		exit 2
	}
done

status_kb() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# metric NAME: a sample of the PBX's /metrics, as an integer.
metric() { curl -s --max-time 5 "http://$ADMIN/metrics" | awk -v n="$1" '$1 == n { printf "%.0f", $2; exit }'; }
# sample: "epoch_s rss_kb fds goroutines heap_inuse_bytes" of the PBX now.
sample() { echo "$(date +%s) $(status_kb "$PBX" VmRSS) $(fds "$PBX") $(metric go_goroutines) $(metric go_memstats_heap_inuse_bytes)"; }

log "building pbxlab"
(cd "$ROOT" && go build -o "$WORK/pbxlab" ./cmd/pbxlab)
BIN=$WORK/pbxlab
PORT=$(free_port)
ADMIN=127.0.0.1:$(free_port)
LAST=$((FIRST + SOAK_PHONES - 1))
cat >"$WORK/pbx.yaml" <<CFG
# bench/soak.sh
sip:
  listen: ["udp:127.0.0.1:$PORT"]
log:
  level: warn
admin:
  listen: $ADMIN
subscriber_ranges:
  - {from: "$FIRST", to: "$LAST", password: "soak{n}"}
CFG
cat >"$WORK/scenario.yaml" <<SC
# bench/soak.sh: $SOAK_PHONES phones, $SOAK_RATE calls/s for $SOAK
name: soak
population:
  count: $SOAK_PHONES
  first: "$FIRST"
  password: "soak{n}"
  register_expires: $SOAK_EXPIRES
  register_concurrency: 200
  transport: udp
  local_addrs: [127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4]
behaviours: {answer: 100, busy: 0, no_answer: 0, reject: 0}
calls: {rate: $SOAK_RATE, hold: $SOAK_HOLD, duration: ${DUR}s, max_concurrent: 5000, ring_timeout: 10s}
audio: {share: 0}
seed: 14
SC

setsid "$BIN" serve --config "$WORK/pbx.yaml" --store "$WORK/pbx.db" >"$WORK/pbx.out" 2>"$WORK/pbx.log" &
PBX=$!
PGIDS+=("$PBX")
sleep 1.5
kill -0 "$PBX" 2>/dev/null || {
	log "pbxlab serve did not start"
	cat "$WORK/pbx.log" >&2
	exit 1
}
read -r _ _ fd_idle0 gor_idle0 _ <<<"$(sample)"

log "$SOAK_PHONES phones, $SOAK_RATE calls/s for $SOAK against 127.0.0.1:$PORT (load average $(cut -d' ' -f1-3 /proc/loadavg))"
setsid "$BIN" sim "$WORK/scenario.yaml" --target "127.0.0.1:$PORT" --progress plain >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
PGIDS+=("$SIM")

# the calls start once every phone has registered
until grep -q 'phones registered in' "$WORK/sim.err"; do
	kill -0 "$SIM" 2>/dev/null || break
	sleep 0.2
done
t0=$(date +%s)
# the reference point of the RSS growth: after the warm-up, 1/6 of the run
# or, when later, the registration lifetime + 35 s (every phone has made
# its first refresh, at 0.5-0.9 of the lifetime, and the transactions of
# the first minutes have drained, 32 s), as long as 10 s of the run remain
ref=$((DUR / 6))
warm=$(($(seconds "$SOAK_EXPIRES") + 35))
((warm > ref && warm <= DUR - 15)) && ref=$warm
at_sixth=$((t0 + ref))
at_end=$((t0 + DUR - 5))
s_sixth="" s_end=""
echo "epoch_s rss_kb fds goroutines heap_inuse_bytes" >"$WORK/soak.csv"
while kill -0 "$SIM" 2>/dev/null; do
	now=$(date +%s)
	if ((now <= t0 + DUR)); then
		s=$(sample)
		echo "$s" >>"$WORK/soak.csv"
		[[ -z $s_sixth ]] && ((now >= at_sixth)) && s_sixth=$s
		[[ -z $s_end ]] && ((now >= at_end)) && s_end=$s
	fi
	sleep 5
done
rc=0
wait "$SIM" || rc=$?
[[ -n $s_sixth ]] || s_sixth=$(sed -n 2p "$WORK/soak.csv")
[[ -n $s_end ]] || s_end=$(tail -1 "$WORK/soak.csv")
# idle again: the calls ended, the phones unregistered, the transactions
# drained (Timer J/L: 32 s); then up to SOAK_DRAIN s more for the
# goroutines and fds to come back to the idle baseline
sleep 35
drain_end=$(($(date +%s) + ${SOAK_DRAIN:-60}))
while :; do
	read -r _ rss_idle1 fd_idle1 gor_idle1 _ <<<"$(sample)"
	((gor_idle1 <= gor_idle0 + 20 && fd_idle1 <= fd_idle0 + 5)) && break
	(($(date +%s) < drain_end)) || break
	sleep 2
done
read -r _ rss6 fd6 gor6 _ <<<"$s_sixth"
read -r _ rss_end fd_end gor_end _ <<<"$s_end"

cat "$WORK/sim.out"
[[ $rc -eq 0 ]] || log "pbxlab sim exited $rc"
calls=$(grep -E '^ +calls +attempted' "$WORK/sim.out" || true)
attempted=$(awk '{ for (i = 1; i < NF; i++) if ($i == "attempted") print $(i + 1) }' <<<"$calls")
answered=$(awk '{ for (i = 1; i < NF; i++) if ($i == "answered") print $(i + 1) }' <<<"$calls")
skipped=$(awk '{ for (i = 1; i < NF; i++) if ($i == "skipped") print $(i + 1) }' <<<"$calls")
reg_failed=$(awk '$1 == "registrations" { for (i = 1; i < NF; i++) if ($i == "failed") print $(i + 1) }' "$WORK/sim.out")
attempted=${attempted:-0} answered=${answered:-0} skipped=${skipped:-0} reg_failed=${reg_failed:-?}
failed=$((attempted - answered + skipped))
cdrs=$(sqlite3 "$WORK/pbx.db" 'SELECT count(*) FROM cdr')
cdr_answered=$(sqlite3 "$WORK/pbx.db" "SELECT count(*) FROM cdr WHERE disposition = 'ANSWERED'")
cdr_open=$(sqlite3 "$WORK/pbx.db" "SELECT count(*) FROM cdr WHERE disposition = 'IN_PROGRESS'")
growth=$(awk -v a="$rss6" -v b="$rss_end" 'BEGIN { printf "%.1f", a ? (b - a) * 100 / a : 0 }')

bad=()
echo
printf 'soak %s at %s calls/s, %s phones (expires %s), load average %s\n' "$SOAK" "$SOAK_RATE" "$SOAK_PHONES" "$SOAK_EXPIRES" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %s\n' "failed_calls" "$failed (attempted $attempted, answered $answered, skipped $skipped)"
((failed == 0 && attempted > 0)) || bad+=("failed calls $failed of $attempted")
printf '%-28s %s\n' "failed_registrations" "$reg_failed"
[[ $reg_failed == 0 ]] || bad+=("failed registrations $reg_failed")
printf '%-28s %s\n' "rss_mb_at_ref (${ref}s)" "$(awk -v k="$rss6" 'BEGIN { printf "%.1f", k / 1024 }')"
printf '%-28s %s\n' "rss_mb_at_end" "$(awk -v k="$rss_end" 'BEGIN { printf "%.1f", k / 1024 }')"
printf '%-28s %s\n' "rss_growth_pct" "$growth (limit $SOAK_MAX_GROWTH)"
awk -v g="$growth" -v l="$SOAK_MAX_GROWTH" 'BEGIN { exit !(g <= l) }' || bad+=("RSS grew $growth% from ${ref}s to the end")
printf '%-28s %s\n' "rss_mb_idle_after" "$(awk -v k="$rss_idle1" 'BEGIN { printf "%.1f", k / 1024 }')"
printf '%-28s %s\n' "goroutines" "idle before $gor_idle0, at ${ref}s $gor6, at end $gor_end, idle after $gor_idle1"
((gor_idle1 <= gor_idle0 + 20)) || bad+=("goroutines idle after $gor_idle1 > idle before $gor_idle0 + 20")
printf '%-28s %s\n' "open_fds" "idle before $fd_idle0, at ${ref}s $fd6, at end $fd_end, idle after $fd_idle1"
((fd_idle1 <= fd_idle0 + 5)) || bad+=("open fds idle after $fd_idle1 > idle before $fd_idle0 + 5")
printf '%-28s %s\n' "cdrs" "$cdrs written ($cdr_answered ANSWERED, $cdr_open IN_PROGRESS) for $answered calls completed of $attempted attempted"
((cdr_answered == answered && cdr_open == 0)) || bad+=("CDRs $cdr_answered ANSWERED, $cdr_open IN_PROGRESS for $answered calls completed")
if ((${#bad[@]} > 0)); then
	for b in "${bad[@]}"; do
		echo "SOAK FAIL: $b"
	done
	KEEP=1
	exit 1
fi
echo "SOAK PASS"

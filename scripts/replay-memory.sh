#!/usr/bin/env bash
# Replay memory against capture size (issue 12): `pbxlab replay` streams the capture and replays it in windows
# of Call-IDs (--window), so its peak RSS and heap stay flat however many dialogs it replays. The script
#   1. writes a large capture with internal/tools/bigcap: copies of pcaps/golden/basic-call.pcapng, interleaved
#      (-concurrent), each copy with users of its own (-users 100000: copies never share a registration);
#   2. for each LIMIT (dialogs), starts a FRESH `pbxlab serve` (the demo configuration, shutdown grace 0, plus the
#      range 100000-999999 with passwords demo{n}) and replays the capture's first LIMIT dialogs at --pace fast,
#      printing the verdict, dialogs/s, peak RSS (/usr/bin/time -v), the peak Go heap (--mem-stats: its objects,
#      live and not yet swept, sampled every 100 ms) and the peak live heap (as each GC marked it);
#   3. the same with one window holding the whole cut (--window 10000000: the replayer before windowing, every
#      message kept to the end) for the BASELINE limits, as the peer the windowed figures compare with.
#
#   scripts/replay-memory.sh                                  # 1 GB capture; 5000 20000 50000 dialogs
#   SIZE=100MB LIMITS="2000 8000" BASELINE="2000" scripts/replay-memory.sh
#
# Environment: SIZE (1GB), LIMITS ("5000 20000 50000"), BASELINE ("5000 20000"), WINDOW (500), CONCURRENT (50),
# PORT (15090), OUT (/tmp/pbxlab-replay-memory). Figures are noisy on a shared host: the load average is printed
# beside them. Every process it starts is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-1GB}; limits=${LIMITS-5000 20000 50000}; baseline=${BASELINE-5000 20000}; window=${WINDOW:-500}
port=${PORT:-15090}; out=${OUT:-/tmp/pbxlab-replay-memory}
mkdir -p "$out"
pids=()
cleanup() { local p; for p in "${pids[@]:-}"; do [[ -n $p ]] && kill -TERM -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT
go build -o "$out/pbxlab" ./cmd/pbxlab
go build -o "$out/bigcap" ./internal/tools/bigcap
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

cap=$out/big.pcapng
if [[ ! -s $cap || ${REGEN:-0} == 1 ]]; then
	"$out/bigcap" -template pcaps/golden/basic-call.pcapng -o "$cap" -size "$size" -concurrent "${CONCURRENT:-50}" -users 100000 | tee "$out/bigcap.log"
fi
sut=$(sed -n 's/^sut: //p' pcaps/golden/basic-call.yaml)
echo "capture: $cap, $(stat -c %s "$cap") bytes"

max=0; for l in $limits $baseline; do ((l > max)) && max=$l; done
# a copy of basic-call holds 4 dialogs and 2 users: LIMIT/2 users cover the first LIMIT dialogs
sed "s/^    password: \"demo{n}\"\$/&\\n  - from: \"100000\"\\n    to: \"$((100000 + max - 1))\"\\n    password: \"demo{n}\"/" pbx/config/demo.yaml >"$out/pbx.yaml"
printf 'call:\n  shutdown_grace: 0s\n' >>"$out/pbx.yaml"
awk -v n="$max" 'BEGIN { for (u = 100000; u < 100000 + n; u++) printf "\"%d\": demo%d\n", u, u }' >"$out/creds.yaml"

# replay NAME LIMIT WINDOW: a fresh PBX, then the replay of the first LIMIT dialogs
replay() {
	local name=$1 limit=$2 win=$3 status=0
	rm -f "$out/$name.db"* "$out/$name.serve.log"
	setsid "$out/pbxlab" serve --config "$out/pbx.yaml" --listen "udp:127.0.0.1:$port" --store "$out/$name.db" >"$out/$name.serve.log" 2>&1 &
	pids+=($!)
	local i; for i in $(seq 600); do grep -q 'pbx running' "$out/$name.serve.log" && break; sleep 0.2; done
	grep -q 'pbx running' "$out/$name.serve.log" || { cat "$out/$name.serve.log" >&2; echo "replay-memory: $name: the PBX did not start" >&2; exit 1; }
	local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
	/usr/bin/time -v -o "$out/$name.time" "$out/pbxlab" replay "$cap" --target "127.0.0.1:$port" --sut "$sut" --pace fast \
		--credentials "$out/creds.yaml" --limit "$limit" --window "$win" --verdicts 20 --mem-stats >"$out/$name.log" 2>&1 || status=$?
	kill -TERM -- "-${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true
	local summary wall rss heap secs dialogs
	summary=$(grep 'replayed against' "$out/$name.log" || true)
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/$name.time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/$name.time")
	heap=$(sed -n 's/.*peak heap \([0-9.]*\) MiB.*/\1/p' "$out/$name.log")
	live=$(sed -n 's/.*peak live heap \([0-9.]*\) MiB.*/\1/p' "$out/$name.log")
	secs=$(awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$wall")
	dialogs=$(sed -n 's/.*: \([0-9]*\) dialogs,.*/\1/p' <<<"$summary")
	printf '%-10s window %-8s limit %6s: exit %s, %s dialogs (%s equivalent) in %6.1fs = %4.0f dialogs/s; peak RSS %4d MiB, heap %6s MiB, live heap %6s MiB; load %s\n' \
		"$name" "$win" "$limit" "$status" "${dialogs:-?}" "$(sed -n 's/.*dialogs, \([0-9]*\) equivalent.*/\1/p' <<<"$summary")" \
		"$secs" "$(awk -v d="${dialogs:-0}" -v s="$secs" 'BEGIN{ if (s > 0) print d/s; else print 0 }')" $((rss / 1024)) "${heap:-?}" "${live:-?}" "$load"
	grep '^windowed:' "$out/$name.log" | sed 's/^/           /' || true
}

for l in $limits; do replay "win-$l" "$l" "$window"; done
for l in $baseline; do replay "whole-$l" "$l" 10000000; done

#!/usr/bin/env bash
# Replay throughput and memory from a large capture of real traffic (issue 12's figures): `pbxlab serve
# --capture` records a simulated population calling through it (`pbxlab sim`, signalling only), then
# `pbxlab replay --pace fast` plays that capture's phones against a FRESH `pbxlab serve` and the script
# prints the capture's size and dialogs, the replay's verdict, dialogs/s, peak RSS (/usr/bin/time -v) and peak
# Go heap (--mem-stats). scripts/replay-memory.sh measures memory against dialogs replayed, from a 1 GB capture.
#
#   scripts/replay-throughput.sh                  # 100 phones, 40 calls/s for 60 s
#   RATE=100 DURATION=120 scripts/replay-throughput.sh
#
# Environment: PHONES (100, numbers 1000-, the demo configuration's), RATE (40 calls/s), DURATION (60 s),
# HOLD (1s), PORT (15070; PORT+1 for the replay's PBX), OUT (/tmp/pbxlab-replay-throughput).
# Every process it starts is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
phones=${PHONES:-100}; rate=${RATE:-40}; duration=${DURATION:-60}; hold=${HOLD:-1s}
port=${PORT:-15070}; out=${OUT:-/tmp/pbxlab-replay-throughput}
rm -rf "$out"; mkdir -p "$out"
pids=()
cleanup() { local p; for p in "${pids[@]:-}"; do [[ -n $p ]] && kill -TERM -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT
go build -o "$out/pbxlab" ./cmd/pbxlab

# serve NAME PORT [ARGS...]: a demo PBX in its own process group; waits until it listens
serve() {
	local name=$1 p=$2; shift 2
	setsid "$out/pbxlab" serve --listen "udp:127.0.0.1:$p" --store "$out/$name.db" "$@" >"$out/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do grep -q 'pbx running' "$out/$name.log" && return; sleep 0.1; done
	cat "$out/$name.log" >&2; echo "replay-throughput: $name did not start" >&2; exit 1
}

cat >"$out/load.yaml" <<YAML
name: replay-throughput
population: {count: $phones, first: "1000", password: "demo{n}", register_expires: 600s}
behaviours: {answer: 80, busy: 10, no_answer: 5, reject: 5}
answer_delay: 200ms
calls: {rate: $rate, duration: ${duration}s, hold: $hold, max_concurrent: 1000, ring_timeout: 3s}
audio: {verify: false, share: 0}
seed: 1
YAML

serve ref "$port" --capture "$out/ref.pcapng"
"$out/pbxlab" sim "$out/load.yaml" --target "127.0.0.1:$port" --progress off >"$out/sim.log" 2>&1 || true
tail -3 "$out/sim.log"
kill -TERM -- "-${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
echo "capture: $(du -h "$out/ref.pcapng" | cut -f1) ($(stat -c %s "$out/ref.pcapng") bytes)"

for n in $(seq 1000 $((1000 + phones - 1))); do echo "\"$n\": demo$n"; done >"$out/creds.yaml"
serve live $((port + 1))
status=0
/usr/bin/time -v -o "$out/replay.time" "$out/pbxlab" replay "$out/ref.pcapng" --target "127.0.0.1:$((port + 1))" \
	--sut "127.0.0.1:$port" --pace fast --credentials "$out/creds.yaml" --mem-stats >"$out/replay.log" 2>&1 || status=$?
summary=$(grep 'replayed against' "$out/replay.log" || true)
echo "replay: exit $status; $summary"
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/replay.time")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/replay.time")
dialogs=$(sed -n 's/.*: \([0-9]*\) dialogs,.*/\1/p' <<<"$summary")
secs=$(awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$wall")
heap=$(sed -n 's/.*peak heap \([0-9.]*\) MiB.*peak live heap \([0-9.]*\) MiB.*/\1 MiB (live \2 MiB)/p' "$out/replay.log")
echo "replay: $dialogs dialogs in ${secs}s = $(awk -v d="$dialogs" -v s="$secs" 'BEGIN{printf "%.0f", d/s}') dialogs/s; peak RSS $((rss / 1024)) MB, peak heap ${heap:-?}; load $(cut -d' ' -f1-3 /proc/loadavg)"

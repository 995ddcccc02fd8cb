#!/usr/bin/env bash
# Figures of `pbxlab replay` (issue 12, acceptance (c)): throughput in dialogs/s of a large capture replayed
# against a live PBX, and the replay's peak memory. Three parts:
#   1. internal/tools/bigcap clones a golden capture (pcaps/golden/*.pcapng) to SIZE (or DIALOGS copies);
#   2. `pbxlab serve` runs the golden configuration (pcaps/golden/NAME.yaml says `config: demo`: the embedded
#      demo configuration with call.shutdown_grace 0) on 127.0.0.1:PORT;
#   3. `pbxlab replay --pace fast` plays every party of the capture but the PBX against it; the script prints
#      dialogs/s (the capture's dialogs over the replay's wall time) and the replay's peak RSS
#      (/usr/bin/time -v's maximum resident set size, else /proc/PID/status VmHWM polled), and the PBX's.
# Part 3 runs once `pbxlab replay` exists (it lands from the replay branch); until then it says so and the
# script still builds the capture and checks that the PBX starts and stops.
#
#   scripts/replay-figures.sh                        # 1 GB capture with RTP, 50 copies interleaved
#   SIZE=100MB RTP=0 scripts/replay-figures.sh       # SIP only
#   DIALOGS=1000 scripts/replay-figures.sh           # 1000 copies of the template instead of a size
#
# Environment: TEMPLATE (default pcaps/golden/basic-call.pcapng), SIZE (1GB), DIALOGS (unset: SIZE rules),
# RTP (1), TALK (5s: each answered call lengthened, RTP fills it), CONCURRENT (50), PORT (15060),
# OUT (the work folder, default /tmp/pbxlab-replay-figures; the capture is big: not under the repository).
set -euo pipefail
cd "$(dirname "$0")/.."

template=${TEMPLATE:-pcaps/golden/basic-call.pcapng}
sidecar=${template%.pcapng}.yaml
out=${OUT:-/tmp/pbxlab-replay-figures}
port=${PORT:-15060}
mkdir -p "$out/bin"
[[ -f $sidecar ]] || { echo "replay-figures: no sidecar $sidecar beside the template" >&2; exit 2; }
grep -q '^config: demo$' "$sidecar" || { echo "replay-figures: $sidecar is not the demo configuration; start the PBX with its config_yaml by hand" >&2; exit 2; }
sut=$(sed -n 's/^sut: //p' "$sidecar")

echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$out/bin/pbxlab" ./cmd/pbxlab
go build -o "$out/bin/bigcap" ./internal/tools/bigcap

# peak_rss PID: the process's high-water RSS in kB (VmHWM), "" once it is gone.
peak_rss() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null || true; }

# run_measured LOG TIMEFILE CMD...: runs CMD, output to LOG; writes "wall_seconds peak_rss_kb exit_status" to TIMEFILE.
run_measured() {
	local log=$1 timefile=$2; shift 2
	local t0 t1 status=0 rss=""
	t0=$(date +%s.%N)
	if [[ -x /usr/bin/time ]]; then
		/usr/bin/time -v -o "$timefile.v" "$@" >"$log" 2>&1 || status=$?
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$timefile.v")
	else
		"$@" >"$log" 2>&1 &
		local pid=$! r
		while kill -0 "$pid" 2>/dev/null; do
			r=$(peak_rss "$pid"); [[ -n $r ]] && rss=$r
			sleep 0.2
		done
		wait "$pid" || status=$?
	fi
	t1=$(date +%s.%N)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') ${rss:-?} $status" >"$timefile"
}

# 1. the capture
cap=$out/replay-input.pcapng
gen=(-template "$template" -o "$cap" -concurrent "${CONCURRENT:-50}")
if [[ -n ${DIALOGS:-} ]]; then gen+=(-dialogs "$DIALOGS"); else gen+=(-size "${SIZE:-1GB}"); fi
[[ ${RTP:-1} == 1 ]] && gen+=(-rtp -talk "${TALK:-5s}")
run_measured "$out/bigcap.log" "$out/bigcap.time" "$out/bin/bigcap" "${gen[@]}"
cat "$out/bigcap.log"
read -r gen_wall gen_rss gen_status <"$out/bigcap.time"
[[ $gen_status == 0 ]] || { echo "replay-figures: bigcap failed" >&2; exit 1; }
dialogs=$(sed -n 's/.* \([0-9][0-9]*\) dialogs, .*/\1/p' "$out/bigcap.log")
echo "capture: $(stat -c %s "$cap") bytes, $dialogs dialogs, written in ${gen_wall}s, bigcap peak RSS ${gen_rss} kB"

# 2. the PBX, with the golden configuration (the demo one, shutdown grace 0)
cfg=$out/pbx.yaml
{ cat pbx/config/demo.yaml; printf 'call:\n  shutdown_grace: 0s\n'; } >"$cfg"
rm -f "$out"/pbx.db*
"$out/bin/pbxlab" serve --config "$cfg" --listen "udp:127.0.0.1:$port" --listen "tcp:127.0.0.1:$port" \
	--store "$out/pbx.db" >"$out/serve.log" 2>&1 &
pbx_pid=$!
stop_pbx() {
	if kill -0 "$pbx_pid" 2>/dev/null; then
		kill -TERM "$pbx_pid" 2>/dev/null || true
		wait "$pbx_pid" 2>/dev/null || true
	fi
}
trap stop_pbx EXIT
for _ in $(seq 100); do
	grep -q 'listening on' "$out/serve.log" && break
	kill -0 "$pbx_pid" 2>/dev/null || { cat "$out/serve.log" >&2; echo "replay-figures: pbxlab serve died" >&2; exit 1; }
	sleep 0.1
done
grep -q 'listening on' "$out/serve.log" || { cat "$out/serve.log" >&2; echo "replay-figures: pbxlab serve did not start within 10 s" >&2; exit 1; }
echo "pbx: pbxlab serve (pid $pbx_pid) on 127.0.0.1:$port, golden config $cfg"

# 3. the replay. INTEGRATOR: this is the call to wire once `pbxlab replay` lands; check its flags and the
# credentials file's format (the sidecar's parties hold each party's user and password; adapt if the
# replay wants another layout).
creds=$sidecar
if ! { "$out/bin/pbxlab" replay --help 2>&1 || true; } | grep -q 'unknown command "replay"'; then
	run_measured "$out/replay.log" "$out/replay.time" \
		"$out/bin/pbxlab" replay "$cap" --target "127.0.0.1:$port" --sut "$sut" --pace fast --credentials "$creds"
	read -r wall rss status <"$out/replay.time"
	tail -5 "$out/replay.log"
	echo "replay: exit $status, $dialogs dialogs in ${wall}s: $(awk -v d="$dialogs" -v w="$wall" 'BEGIN{printf "%.1f", d/w}') dialogs/s; peak RSS ${rss} kB"
else
	echo "replay: skipped, this pbxlab has no replay subcommand yet (it lands from the replay branch)"
fi
echo "pbx: peak RSS $(peak_rss "$pbx_pid") kB"
stop_pbx
trap - EXIT
echo "pbx: stopped; logs and capture in $out"

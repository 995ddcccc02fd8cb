#!/usr/bin/env bash
# bench/media.sh - anchored media figures (make bench-media; not a test).
#
# Builds bin/pbxlab, installs rtpengine (Debian 12: rtpengine-daemon) when
# it is missing and we are root, then runs internal/tools/mediabench:
# concurrent G.711 calls between simulated phones through `pbxlab serve`
# (SIP, anchored RTP) rising level by level until the phones see loss
# >= 0.5 % or jitter 5 ms above the first level's; per level the PBX's CPU
# per relayed stream, RSS per call and the simulator's own CPU; then the
# same streams relayed by rtpengine (userspace forwarding, --table=-1,
# set up through its ng protocol) and "rtpengine ratio X.XX" (pbxlab's CPU
# per stream over rtpengine's at the highest level both carried).
#
# Everything shares this machine's cores with the simulator; other load on
# the machine skews the figures (run it on an idle machine).
#
# Environment: LEVELS (comma list, default 50,100,200,400,600,800,1000,1200,
# 1400,1600,2000), WINDOW (default 10s), BENCH_OUT (default
# bench/results/media.md), BENCH_QUICK=1 (levels 50,200, 5 s windows).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${BENCH_OUT:-$ROOT/bench/results/media.md}
LEVELS=${LEVELS:-50,100,200,400,600,800,1000,1200,1400,1600,2000}
WINDOW=${WINDOW:-10s}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	LEVELS=50,200 WINDOW=5s
fi
./scripts/install-peers.sh rtpengine-daemon
make -s build
# each call holds four RTP/RTCP sockets on the PBX and two on the phones
ulimit -n 65536 2>/dev/null || true
exec go run ./internal/tools/mediabench -pbxlab bin/pbxlab -levels "$LEVELS" -window "$WINDOW" -out "$OUT"

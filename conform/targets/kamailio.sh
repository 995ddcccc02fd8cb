#!/usr/bin/env bash
# Starts Kamailio (Debian's package) in the foreground as the registrar/proxy
# target of `pbxlab conform`, configured by conform/targets/kamailio.cfg, on
# 127.0.0.1:PORT over UDP and TCP. Stop it with Ctrl-C (or SIGTERM).
#
#   conform/targets/kamailio.sh [PORT]        # default 5070
#   pbxlab conform --target 127.0.0.1:5070 --profile conform/targets/kamailio.yaml
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${1:-5070}
kamailio=$(command -v kamailio || true)
for d in /usr/sbin /sbin; do
	[[ -z "$kamailio" && -x "$d/kamailio" ]] && kamailio="$d/kamailio"
done
if [[ -z "$kamailio" ]]; then
	echo "kamailio not found (Debian package kamailio)" >&2
	exit 1
fi
run=$(mktemp -d)
pid=
cleanup() {
	if [[ -n "$pid" ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$kamailio" -f "$here/kamailio.cfg" -DD -E -m 64 -M 8 \
	-l "udp:127.0.0.1:$port" -l "tcp:127.0.0.1:$port" -Y "$run" -P "$run/kamailio.pid" &
pid=$!
wait "$pid"

#!/usr/bin/env bash
# Runs simulated phones behind tc netem: the kernel's own loss, delay, jitter, duplication and
# reordering on the real network path between `pbxlab sim` and a PBX (scenarios/README.md,
# "Network impairment"). Needs root, iproute2 (ip, tc) and the sch_netem module.
#
#   netem-phones.sh up   NAME "NETEM"      a namespace pbxlab-netem-NAME linked to the host by a veth pair,
#                                          phones 10.78.N.2/24, host 10.78.N.1/24 (N from NAME), with
#                                          `tc qdisc ... netem NETEM` on both ends (both directions)
#   netem-phones.sh run  NAME -- ARGS...   `pbxlab ARGS...` inside the namespace (e.g. sim scenario.yaml
#                                          --target 10.78.N.1:5060: the PBX listens on the host side)
#   netem-phones.sh down NAME              removes the namespace and its links
#
# Example (a PBX on the host listening on 10.78.7.1:5060, or on 0.0.0.0):
#   sudo scripts/netem-phones.sh up lossy "delay 40ms 10ms loss 2% duplicate 0.5% reorder 5%"
#   sudo scripts/netem-phones.sh run lossy -- sim scenarios/demo.yaml --target 10.78.7.1:5060
#   sudo scripts/netem-phones.sh down lossy
# PBXLAB (default: ./build/pbxlab, else pbxlab on PATH) is the binary run. A NAT in front of the phones:
# internal/netns builds one (ip netns + nftables masquerade) for the NAT tests.
set -euo pipefail

die() { echo "netem-phones: $*" >&2; exit 1; }
[[ $# -ge 2 ]] || die "usage: $0 up NAME \"NETEM\" | run NAME -- ARGS... | down NAME"
cmd=$1 name=$2
shift 2
[[ $name =~ ^[a-z0-9]{1,8}$ ]] || die "NAME: 1-8 lower-case letters or digits"
ns=pbxlab-netem-$name
host_if=pne-$name # host side of the veth pair (interface names: at most 15 bytes)
# N: a stable octet from NAME (1..250)
n=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 250 + 1 ))
host_ip=10.78.$n.1 phone_ip=10.78.$n.2

need_root() { [[ $(id -u) -eq 0 ]] || die "needs root"; command -v ip >/dev/null && command -v tc >/dev/null || die "needs ip and tc (iproute2)"; }

case "$cmd" in
up)
  need_root
  [[ $# -ge 1 ]] || die "up NAME \"NETEM\": say the impairment, e.g. \"delay 40ms 10ms loss 2%\""
  netem=$1
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null; ip link del "$host_if" 2>/dev/null' ERR
  ip link add "$host_if" type veth peer name eth0 netns "$ns"
  ip addr add "$host_ip/24" dev "$host_if"
  ip link set "$host_if" up
  ip -n "$ns" addr add "$phone_ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" route add default via "$host_ip"
  # netem shapes egress only: once on each end impairs both directions
  # shellcheck disable=SC2086 # NETEM is a list of tc arguments
  tc -n "$ns" qdisc add dev eth0 root netem $netem
  # shellcheck disable=SC2086
  tc qdisc add dev "$host_if" root netem $netem
  echo "phones: $phone_ip in netns $ns; PBX side: $host_ip ($host_if); netem: $netem"
  ;;
run)
  need_root
  [[ ${1:-} == -- ]] && shift
  bin=${PBXLAB:-}
  if [[ -z $bin ]]; then
    if [[ -x ./build/pbxlab ]]; then bin=./build/pbxlab; else bin=$(command -v pbxlab) || die "no pbxlab: set PBXLAB"; fi
  fi
  exec ip netns exec "$ns" "$bin" "$@"
  ;;
down)
  need_root
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
  ;;
*) die "unknown command $cmd (up, run, down)" ;;
esac

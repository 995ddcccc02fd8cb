#!/usr/bin/env bash
# Regenerates the third-party captures in pcaps/external/: SIP between
# implementations nobody here wrote (Debian 12 packages), on loopback,
# captured with tshark for exactly the exchange.
#
#   scripts/make-external-pcaps.sh [OUTDIR] [NAME...]
#
# KEEP_TMP=1 keeps the temporary directory (logs, raw captures).
# OUTDIR defaults to pcaps/external; NAMEs (default: all) pick captures:
#   register-udp4  call-tcp6  cancel-udp4  refer-udp6  baresip-dtmf-hold-udp4
#   linphone-baresip-hold-udp4
#
# The peers: Kamailio (scripts/external-pcaps/kamailio.cfg: registrar with
# MD5 digest, users 1000-1099 with password pw<user>, record-routing proxy
# that challenges INVITEs) on 127.0.0.1:25060 and [::1]:25060, UDP and TCP;
# SIPp with the scenarios in scripts/external-pcaps/; baresip; linphonec.
# Needs root (or capture rights) for tshark on lo. Missing peers:
#   scripts/install-peers.sh sip-tester tshark kamailio baresip-core linphone-cli
#
# Only ports 25000-25999 are captured (the capture filter), so other
# traffic on lo stays out; the raw capture is then filtered to UDP and TCP
# and written as pcapng. Each capture's sidecar (NAME.yaml) is written here
# too: the description (the cap_* function's $shows), the commands run, the
# peers' versions, and the expectations as tshark dissects the capture.
# pcaps/external_test.go checks them; after a regeneration, run
#   go test ./pcaps/ -update
# and review the .flow diffs (Call-IDs change every run; retransmissions
# and how a proxy interleaves two legs depend on timing).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
sd=$here/external-pcaps
out=${1:-$repo/pcaps/external}
shift || true
mkdir -p "$out"
out=$(cd "$out" && pwd)

for bin in sipp tshark kamailio baresip linphonec; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || {
    echo "make-external-pcaps: $bin missing; run scripts/install-peers.sh sip-tester tshark kamailio baresip-core linphone-cli" >&2
    exit 1
  }
done
dtmf=/usr/share/sip-tester/dtmf_2833_1.pcap
[ -r "$dtmf" ] || { echo "make-external-pcaps: $dtmf missing (package sip-tester)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/pbxlab-xpcaps.XXXXXX)
pids=() # process groups this script started (each leader via setsid)

stop_group() { # pgid: TERM, then KILL what is left
  local g=$1 i
  kill -TERM -- "-$g" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 -- "-$g" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$g" 2>/dev/null || true
}
cleanup() {
  local rc=$? g
  for g in "${pids[@]}"; do stop_group "$g"; done
  if [ "$rc" -ne 0 ]; then
    echo "make-external-pcaps: failed (rc $rc); logs:" >&2
    tail -n 15 "$tmp"/*.log >&2 2>/dev/null || true
  fi
  if [ -n "${KEEP_TMP:-}" ]; then echo "make-external-pcaps: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in its own process group, output in
# $tmp/NAME.log; sets $last to its pid (= its process group).
start() {
  local name=$1
  shift
  logcmd "$@"
  setsid "$@" >"$tmp/$name.log" 2>&1 </dev/null &
  last=$!
  pids+=("$last")
}

# logcmd CMD...: remembers a command for the sidecar (paths made relative
# to the repository, the temporary directory shown as $TMP)
cmdlog=()
logcmd() {
  local c="$*"
  c=${c//$tmp/\$TMP}
  c=${c//$repo\//}
  cmdlog+=("$c")
}

# stop PGID: ends the group and forgets it.
stop() {
  local g=$1 keep=() p
  stop_group "$g"
  wait "$g" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$g" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# wait_log FILE PATTERN [SECONDS]
wait_log() {
  local i
  for i in $(seq $((${3:-10} * 10))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "make-external-pcaps: no \"$2\" in $1 after ${3:-10}s" >&2
  return 1
}

# yq S: S as a double-quoted YAML scalar
yq() {
  local v=${1//\\/\\\\}
  v=${v//\"/\\\"}
  printf '"%s"' "$v"
}
pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo unknown; }

# peer NAME PACKAGE VERSION ROLE ADDRESS: one peer of the current capture
peers=()
peer() { peers+=("$(printf '  - name: %s\n    package: %s\n    version: %s\n    role: %s\n    address: %s' \
  "$(yq "$1")" "$(yq "$2 $(pkgver "$2")")" "$(yq "$3")" "$(yq "$4")" "$(yq "$5")")"); }

# sidecar NAME: writes NAME.yaml next to the capture from $shows,
# $transport, $ipv, $sut, $subs ("user:password ..."), the peers and the
# commands logged; the expectations are what tshark dissects.
sidecar() {
  local f=$out/$1.pcapng y=$out/$1.yaml c u
  local fields
  fields=$(tshark -r "$f" -Y sip -T fields -E occurrence=a -E separator=/t -e sip.Call-ID -e sip.Method -e sip.Status-Code 2>/dev/null)
  {
    echo "# $1.pcapng: written by scripts/make-external-pcaps.sh $1; checked by pcaps/external_test.go"
    echo "shows: $(yq "$shows")"
    echo "made:"
    echo "  script: $(yq "scripts/make-external-pcaps.sh pcaps/external $1")"
    echo "  commands:"
    for c in "${cmdlog[@]}"; do echo "    - $(yq "$c")"; done
    echo "  capture: $(yq "$(tshark -v 2>/dev/null | head -1 | sed 's/ (Git.*//'): tshark -i lo -f '(udp or tcp) and portrange 25000-25999', then tshark -Y 'udp or tcp' (package tshark $(pkgver tshark))")"
    echo "peers:"
    printf '%s\n' "${peers[@]}"
    echo "transport: $transport"
    echo "ip: $ipv"
    echo "sut: $(yq "$sut")"
    echo "realm: pbxlab"
    echo "subscribers:"
    for u in $subs; do echo "  - {user: $(yq "${u%%:*}"), password: $(yq "${u#*:}")}"; done
    echo "expect:"
    echo "  sip_messages: $(cut -f1 <<<"$fields" | tr ',' '\n' | grep -c .)"
    echo "  call_ids:"
    cut -f1 <<<"$fields" | tr ',' '\n' | grep . | awk '!seen[$0]++' | while read -r c; do echo "    - $(yq "$c")"; done
    echo "  methods: [$(cut -f2 <<<"$fields" | tr ',' '\n' | grep . | sort -u | paste -sd, | sed 's/,/, /g')]"
    echo "  statuses: [$(cut -f3 <<<"$fields" | tr ',' '\n' | grep . | sort -nu | paste -sd, | sed 's/,/, /g')]"
  } >"$y"
  peers=()
}

# wait_count FILE PATTERN N SECONDS: until PATTERN is on N lines of FILE
wait_count() {
  local i
  for i in $(seq $(($4 * 10))); do
    [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
    sleep 0.1
  done
  echo "make-external-pcaps: \"$2\" not $3 times in $1 after $4s" >&2
  return 1
}

KPORT=25060
kamailio_start() {
  local kbin
  kbin=$(command -v kamailio || echo /usr/sbin/kamailio)
  cmdlog=()
  mkdir -p "$tmp/kam"
  start kamailio "$kbin" -f "$sd/kamailio.cfg" -DD -E -m 64 -M 8 \
    -l "udp:127.0.0.1:$KPORT" -l "tcp:127.0.0.1:$KPORT" -l "udp:[::1]:$KPORT" -l "tcp:[::1]:$KPORT" \
    -Y "$tmp/kam" -P "$tmp/kam/kamailio.pid"
  kam=$last
  wait_log "$tmp/kamailio.log" "INFO: <core> \[main.c" 10 || true
  sleep 1 # the workers fork
}

# capture_start NAME / capture_stop: tshark on lo for ports 25000-25999
capture_start() {
  cap_name=$1
  start "tshark-$1" tshark -i lo -n -q -w "$tmp/$1.raw.pcapng" -f '(udp or tcp) and portrange 25000-25999'
  cap=$last
  wait_log "$tmp/tshark-$1.log" "Capturing on" 10
  sleep 0.3
}
capture_stop() {
  sleep 0.5
  kill -INT "$cap" 2>/dev/null || true
  wait "$cap" 2>/dev/null || true
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$cap" ] || keep+=("$p"); done
  pids=("${keep[@]}")
  # trim: UDP and TCP only (SIP, RTP, RTCP, keep-alives, TCP segments),
  # as pcapng; the calls last about 2 s, so the RTP stays small
  tshark -r "$tmp/$cap_name.raw.pcapng" -w "$tmp/$cap_name.pcapng" -F pcapng -Y 'udp or tcp' 2>/dev/null
  cp "$tmp/$cap_name.pcapng" "$out/$cap_name.pcapng"
  echo "make-external-pcaps: $out/$cap_name.pcapng: $(stat -c %s "$out/$cap_name.pcapng") bytes," \
    "$(tshark -r "$out/$cap_name.pcapng" -Y sip 2>/dev/null | wc -l) frames with SIP"
}

# sipp NAME ARGS...: runs SIPp to completion (30 s at most), one call
sipp_run() {
  local name=$1
  shift
  logcmd sipp -nostdin -m 1 "$@"
  timeout 30 sipp -nostdin -m 1 -trace_err -error_file "$tmp/$name.err" "$@" >"$tmp/$name.log" 2>&1 || {
    echo "make-external-pcaps: sipp $name failed" >&2
    cat "$tmp/$name.err" >&2 2>/dev/null || true
    return 1
  }
}
# sipp_bg NAME ARGS...: a SIPp UAS in the background (pid in $last)
sipp_bg() {
  local name=$1
  shift
  start "$name" timeout 30 sipp -nostdin -m 1 -trace_err -error_file "$tmp/$name.err" "$@"
  sleep 0.5
}
sipp_wait() { # pid name
  wait "$1" || { echo "make-external-pcaps: sipp $2 failed" >&2; cat "$tmp/$2.err" >&2 2>/dev/null; return 1; }
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

sippv=$( (sipp -v 2>&1 || true) | grep -o 'SIPp v[^ ]*' | head -1 | sed 's/\.$//')
kamv=$("$(command -v kamailio || echo /usr/sbin/kamailio)" -v 2>/dev/null | head -1 | sed 's/^version: //; s/ *$//')
linphonev="linphonec (liblinphone $(pkgver liblinphone10))"
baresipv=$( (baresip -h 2>&1 || true) | head -1 | cut -d' ' -f1-2)
kampeer() { peer Kamailio kamailio "$kamv" "registrar (digest, realm pbxlab) and record-routing proxy; the system under test" "$1"; }

# register-udp4: REGISTER with digest and its removal, SIPp -> Kamailio
cap_register_udp4() {
  kamailio_start
  capture_start register-udp4
  sipp_run reg -sf "$sd/register-unregister.xml" -s 1001 -au 1001 -ap pw1001 \
    -i 127.0.0.1 -p 25061 "127.0.0.1:$KPORT"
  capture_stop
  stop "$kam"
  shows="SIPp registers 1001 with Kamailio (REGISTER -> 401 digest challenge -> REGISTER with Authorization -> 200), then removes the binding (Expires 0, challenged again)"
  transport=udp ipv=4 sut="127.0.0.1:$KPORT" subs="1001:pw1001"
  kampeer "127.0.0.1:$KPORT"
  peer SIPp sip-tester "$sippv" "UA 1001 (scripts/external-pcaps/register-unregister.xml)" "127.0.0.1:25061"
  sidecar register-udp4
}

# a call between SIPp UAC 1002 and SIPp UAS 1001 through Kamailio; the UAS
# first registers its contact with digest. $1 name, $2 transport (u1/t1),
# $3 IP, $4 UAS scenario, $5 UAC scenario, more args for the UAC.
sipp_call() {
  local name=$1 tr=$2 ip=$3 uas=$4 uac=$5 k
  shift 5
  k="$ip:$KPORT"
  [[ $ip == *:* ]] && k="[$ip]:$KPORT"
  kamailio_start
  capture_start "$name"
  sipp_run reg -sf "$sd/register.xml" -s 1001 -au 1001 -ap pw1001 -t "$tr" -i "$ip" -p 25071 "$k"
  sipp_bg uas -sf "$sd/$uas" -s 1001 -t "$tr" -i "$ip" -p 25071 -mp 25300
  local u=$last
  sipp_run uac -sf "$sd/$uac" -s 1001 -key caller 1002 -au 1002 -ap pw1002 -t "$tr" -i "$ip" -p 25081 -mp 25400 "$@" "$k"
  sipp_wait "$u" uas
  capture_stop
  stop "$kam"
  transport=udp ipv=4 sut=$k subs="1001:pw1001 1002:pw1002"
  [ "$tr" = t1 ] && transport=tcp
  [[ $ip == *:* ]] && ipv=6
  kampeer "$k"
  local a1="$ip:25071" a2="$ip:25081"
  [[ $ip == *:* ]] && a1="[$ip]:25071" a2="[$ip]:25081"
  peer SIPp sip-tester "$sippv" "UA 1001, the callee: registers (scripts/external-pcaps/register.xml), then answers as scripts/external-pcaps/$uas" "$a1"
  peer SIPp sip-tester "$sippv" "UA 1002, the caller (scripts/external-pcaps/$uac)" "$a2"
  sidecar "$name"
}

cap_call_tcp6() {
  shows="A basic call over TCP on ::1: SIPp 1001 registers with Kamailio (401 digest), SIPp 1002 calls 1001 through Kamailio (407 digest, 100, 180, 200, ACK), hangs up after 0.5 s (BYE, 200)"
  sipp_call call-tcp6 t1 ::1 uas-call.xml uac-call.xml -d 500
}
cap_cancel_udp4() {
  shows="A call cancelled while ringing: SIPp 1001 registers with Kamailio (401 digest); SIPp 1002 calls it through Kamailio (407 digest), 1001 rings (180), 1002 sends CANCEL (200 canceling from Kamailio, CANCEL relayed, 200), 1001 answers the INVITE 487 (ACKed hop by hop)"
  sipp_call cancel-udp4 u1 127.0.0.1 uas-cancel.xml uac-cancel.xml
}
cap_refer_udp6() {
  shows="A blind transfer request over UDP on ::1: SIPp 1001 registers (401 digest); SIPp 1002 calls it through Kamailio (407 digest, 180, 200, ACK), then sends REFER (Refer-To 1003) in the dialog; 1001 answers 202 and NOTIFY (Event refer, sipfrag 200, subscription terminated) -> 200; 1002 hangs up (BYE, 200). Nobody calls 1003"
  sipp_call refer-udp6 u1 ::1 uas-refer.xml uac-refer.xml -key target 1003
}

# baresip_config DIR MODULES: baresip 1001 at 127.0.0.1:25075, registering
# with Kamailio, auto-answering, sending a 1000 Hz sine as PCMU
baresip_config() {
  local bdir=$1 mods=$2
  cat >"$bdir/config" <<EOF
poll_method epoll
sip_listen 127.0.0.1:25075
net_interface 127.0.0.1
module_path $mods
module g711.so
module ausine.so
module aubridge.so
module_app account.so
module_app menu.so
audio_source ausine,1000
audio_player aubridge,pcaps
audio_alert aubridge,pcaps
ausrc_srate 48000
auplay_srate 8000
ausrc_channels 2
auplay_channels 1
rtp_ports 25200-25219
EOF
  printf '<sip:1001@127.0.0.1;transport=udp>;auth_pass=pw1001;answermode=auto;regint=600;outbound="sip:127.0.0.1:%d;transport=udp"\n' "$KPORT" >"$bdir/accounts"
  : >"$bdir/contacts"
}

# baresip-dtmf-hold-udp4: baresip 1001 registers with digest and
# auto-answers; SIPp 1002 calls it through Kamailio, sends the digit 1 as
# RFC 4733 telephone-event RTP, holds (re-INVITE sendonly), resumes, hangs up.
cap_baresip_dtmf_hold_udp4() {
  local bdir=$tmp/baresip mods
  mods=$(dirname "$(dpkg -L baresip-core 2>/dev/null | grep '/ausine.so$' | head -1)")
  [ -r "$mods/ausine.so" ] || mods=/usr/lib/baresip/modules
  mkdir -p "$bdir"
  baresip_config "$bdir" "$mods"
  kamailio_start
  capture_start baresip-dtmf-hold-udp4
  start baresip baresip -4 -f "$bdir" -t 60
  local b=$last
  wait_log "$tmp/baresip.log" "200 OK" 15
  sipp_run uac -sf "$sd/uac-dtmf-hold.xml" -s 1001 -key caller 1002 -au 1002 -ap pw1002 \
    -i 127.0.0.1 -p 25081 -mp 25400 "127.0.0.1:$KPORT"
  capture_stop # before baresip quits: its unregistration is not part of it
  stop "$b"
  stop "$kam"
  shows="A call to a real softphone with RFC 4733 DTMF and hold/resume: baresip 1001 registers with Kamailio (401 digest) and auto-answers; SIPp 1002 calls it through Kamailio (407 digest, 180, 200 Answering), sends the digit 1 as telephone-event RTP (payload type 101, SIPp's dtmf_2833_1.pcap), holds (re-INVITE a=sendonly, baresip answers a=recvonly), resumes (re-INVITE a=sendrecv), hangs up (BYE); baresip sends its 1000 Hz sine as PCMU RTP for the 2 s of the call"
  transport=udp ipv=4 sut="127.0.0.1:$KPORT" subs="1001:pw1001 1002:pw1002"
  kampeer "127.0.0.1:$KPORT"
  peer baresip baresip-core "$baresipv" "UA 1001, the callee (config written by the script: ausine 1000 Hz source, g711, answermode=auto)" "127.0.0.1:25075"
  peer SIPp sip-tester "$sippv" "UA 1002, the caller (scripts/external-pcaps/uac-dtmf-hold.xml)" "127.0.0.1:25081"
  sidecar baresip-dtmf-hold-udp4
}

# linphone-baresip-hold-udp4: two softphones through Kamailio: baresip 1001
# registers and auto-answers; linphonec 1002 registers, calls 1001, pauses
# the call (hold), resumes it and hangs up. linphonec reads its commands
# from a FIFO; HOME and the XDG directories point into the temp dir.
cap_linphone_baresip_hold_udp4() {
  local bdir=$tmp/baresip ldir=$tmp/linphone mods
  mods=$(dirname "$(dpkg -L baresip-core 2>/dev/null | grep '/ausine.so$' | head -1)")
  [ -r "$mods/ausine.so" ] || mods=/usr/lib/baresip/modules
  mkdir -p "$bdir" "$ldir/.local/share/linphone" "$ldir/.config" "$ldir/.cache"
  baresip_config "$bdir" "$mods"
  linphone_config "$ldir/linphonerc"
  kamailio_start
  capture_start linphone-baresip-hold-udp4
  start baresip baresip -4 -f "$bdir" -t 60
  local b=$last
  wait_log "$tmp/baresip.log" "200 OK" 15
  mkfifo "$ldir/in"
  logcmd linphonec -c "$ldir/linphonerc" -d 6 -l "$ldir/linphone.log"
  HOME=$ldir XDG_CONFIG_HOME=$ldir/.config XDG_DATA_HOME=$ldir/.local/share XDG_CACHE_HOME=$ldir/.cache \
    XDG_RUNTIME_DIR=$ldir TMPDIR=$ldir \
    setsid linphonec -c "$ldir/linphonerc" -d 6 -l "$ldir/linphone.log" <"$ldir/in" >"$tmp/linphonec.log" 2>&1 &
  local l=$!
  pids+=("$l")
  exec 7>"$ldir/in"
  lcmd "soundcard use files"
  wait_log "$ldir/linphone.log" "to \[LinphoneRegistrationOk\]" 15
  lcmd "call sip:1001@127.0.0.1"
  wait_count "$tmp/linphonec.log" "Media streams established" 1 15
  sleep 0.5
  lcmd "pause 1"
  wait_log "$tmp/linphonec.log" "is now paused" 10
  sleep 0.3
  lcmd "resume 1"
  wait_count "$tmp/linphonec.log" "Media streams established" 2 10
  sleep 0.5
  lcmd "terminate"
  wait_log "$tmp/linphonec.log" "ended" 10
  capture_stop # before the phones quit: their unregistrations are not part of it
  echo quit >&7
  exec 7>&-
  stop "$l"
  stop "$b"
  stop "$kam"
  shows="Two softphones through a proxy: baresip 1001 registers with Kamailio (401 digest) and auto-answers; linphonec 1002 registers (401 digest), calls 1001 through Kamailio (407 digest), pauses the call (re-INVITE a=sendonly, baresip answers a=recvonly), resumes it (re-INVITE, no direction attribute) and hangs up (BYE); RTP: baresip's 1000 Hz sine as PCMU (none while held), from linphonec (no sound file) a few packets per media start; CRLF keep-alives from linphonec every second"
  transport=udp ipv=4 sut="127.0.0.1:$KPORT" subs="1001:pw1001 1002:pw1002"
  kampeer "127.0.0.1:$KPORT"
  peer baresip baresip-core "$baresipv" "UA 1001, the callee (config written by the script: ausine 1000 Hz source, g711, answermode=auto)" "127.0.0.1:25075"
  peer linphonec linphone-cli "$linphonev" "UA 1002, the caller, driven on its standard input (linphonerc written by the script)" "127.0.0.1:25085"
  sidecar linphone-baresip-hold-udp4
}
# lcmd LINE: one command to linphonec's prompt (fd 7)
lcmd() {
  logcmd "linphonec< $1"
  echo "$1" >&7
}

# linphone_config FILE: linphonec 1002 at 127.0.0.1:25085 (UDP only),
# registering with Kamailio, PCMU only, RTP on 25230, a CRLF keep-alive
# every second, no IPv6, video, ICE or encryption
linphone_config() {
  local f=$1 i=0 c
  cat >"$f" <<EOF
[sip]
sip_port=25085
sip_tcp_port=0
sip_tls_port=0
ipv6=0
use_ipv6=0
default_proxy=0
guess_hostname=0
contact=sip:1002@127.0.0.1
register_only_when_network_is_up=0
media_encryption=none
inc_timeout=30
keepalive_period=1000

[net]
firewall_policy=0

[rtp]
audio_rtp_port=25230
nortp_timeout=30

[sound]
echocancellation=0

[misc]
add_missing_audio_codecs=0
add_missing_video_codecs=0

[video]
capture=0
display=0
automatically_initiate=0
automatically_accept=0

[proxy_0]
reg_proxy=<sip:127.0.0.1:$KPORT;transport=udp>
reg_identity=sip:1002@127.0.0.1
reg_route=<sip:127.0.0.1:$KPORT;transport=udp;lr>
reg_expires=600
reg_sendregister=1
publish=0
dial_escape_plus=0

[auth_info_0]
username=1002
passwd=pw1002
domain=127.0.0.1
EOF
  for c in "PCMU 8000 1 1" "PCMA 8000 1 0" "opus 48000 2 0" "speex 16000 1 0" "speex 8000 1 0" "speex 32000 1 0" "GSM 8000 1 0" "G722 8000 1 0"; do
    set -- $c
    printf '\n[audio_codec_%d]\nmime=%s\nrate=%s\nchannels=%s\nenabled=%s\n' "$i" "$1" "$2" "$3" "$4" >>"$f"
    i=$((i + 1))
  done
}

all=(register-udp4 call-tcp6 cancel-udp4 refer-udp6 baresip-dtmf-hold-udp4 linphone-baresip-hold-udp4)
[ $# -gt 0 ] && all=("$@")
for n in "${all[@]}"; do
  f="cap_${n//-/_}"
  declare -F "$f" >/dev/null || { echo "make-external-pcaps: no capture $n" >&2; exit 2; }
  "$f"
done

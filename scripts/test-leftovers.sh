#!/usr/bin/env bash
# The processes tests start and must not outlive them: kamailio, sipp, baresip, tshark (dumpcap),
# `pbxlab serve`, and anything internal/testproc started (marked PBXLAB_TESTPROC_OWNER=... in its
# environment). Zombies are not counted: they hold nothing, and some container inits never reap them.
#
#   test-leftovers.sh list           one line per such process: "<pid>@<start time> <command line>"
#   test-leftovers.sh check BEFORE   those running now that are not in BEFORE (a `list` taken before
#                                    the tests): prints them and exits 1; else exits 0. It kills
#                                    nothing: the next test run's testproc.Sweep does, for marked ones
set -u

list() {
  ps -eo pid=,lstart=,stat=,comm=,args= | while read -r pid d1 d2 d3 d4 d5 stat comm args; do
    [[ $stat == Z* || $stat == X* ]] && continue
    key="$pid@$d1 $d2 $d3 $d4 $d5"
    case "$comm" in
      kamailio|sipp|baresip|tshark|dumpcap) echo "$key $args"; continue ;;
    esac
    if [[ $comm == pbxlab* && $args == *" serve"* ]]; then
      echo "$key $args"
      continue
    fi
    if tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -q '^PBXLAB_TESTPROC_OWNER='; then
      echo "$key $args"
    fi
  done
}

case "${1:-}" in
  list) list ;;
  check)
    before=${2:?usage: test-leftovers.sh check BEFORE}
    left=$(list | awk -v before="$before" 'BEGIN { while ((getline l < before) > 0) { split(l, f, " "); seen[f[1]" "f[2]" "f[3]" "f[4]" "f[5]] = 1 } }
      { if (!(($1" "$2" "$3" "$4" "$5) in seen)) print }')
    if [ -n "$left" ]; then
      echo "############################################################################"
      echo "## test-leftovers: processes the tests started are still running:"
      echo "$left" | sed 's/^/##   /'
      echo "############################################################################"
      exit 1
    fi
    echo "test-leftovers: no kamailio, sipp, baresip, tshark, pbxlab serve or testproc process left running"
    ;;
  *) echo "usage: test-leftovers.sh list | check BEFORE" >&2; exit 2 ;;
esac

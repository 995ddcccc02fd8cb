#!/usr/bin/env bash
# The processes tests start and must not outlive them: kamailio, sipp, baresip, linphonec, tshark (dumpcap),
# `pbxlab serve` (also inside a container: its process shows here), and anything internal/testproc
# started (marked PBXLAB_TESTPROC_OWNER=... in its environment); and what else tests make outside
# themselves: Docker containers, networks and images labelled org.pbxlab.test.owner
# (internal/pbxcontainer) and network namespaces named pbxlab-nat-* (internal/netns). Zombies are not counted: they hold nothing, and some container inits never reap them.
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
      kamailio|sipp|baresip|linphonec|tshark|dumpcap) echo "$key $args"; continue ;;
    esac
    if [[ $comm == pbxlab* && $args == *" serve"* ]]; then
      echo "$key $args"
      continue
    fi
    if tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -q '^PBXLAB_TESTPROC_OWNER='; then
      echo "$key $args"
    fi
  done
  # "KIND:NAME@- - - - -" keeps the five-field key of a process line
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    docker ps -a --filter label=org.pbxlab.test.owner --format '{{.ID}} {{.Image}} {{.Command}}' 2>/dev/null |
      while read -r id rest; do echo "container:$id@- - - - - $rest"; done
    docker network ls --filter label=org.pbxlab.test.owner --format '{{.ID}} {{.Name}}' 2>/dev/null |
      while read -r id rest; do echo "network:$id@- - - - - $rest"; done
    docker images --filter label=org.pbxlab.test.owner --format '{{.ID}} {{.Repository}}:{{.Tag}}' 2>/dev/null |
      while read -r id rest; do echo "image:$id@- - - - - $rest"; done
  fi
  if command -v ip >/dev/null 2>&1; then
    ip netns list 2>/dev/null | awk '$1 ~ /^pbxlab-nat-/ { print "netns:" $1 "@- - - - -" }'
  fi
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
    echo "test-leftovers: no kamailio, sipp, baresip, tshark, pbxlab serve or testproc process, test container, network, image or namespace left"
    ;;
  *) echo "usage: test-leftovers.sh list | check BEFORE" >&2; exit 2 ;;
esac

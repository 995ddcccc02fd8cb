#!/usr/bin/env bash
# Installs the Debian test peers (SIPp, tshark, Kamailio, baresip, linphonec) when they are missing and we can:
# root with apt-get. Otherwise it says loudly which tests will skip, and succeeds.
set -u
missing=()
for pkg in "$@"; do
  case "$pkg" in
    sip-tester) bin=sipp ;;
    kamailio) bin=kamailio ;;
    baresip-core) bin=baresip ;;
    linphone-cli) bin=linphonec ;;
    rtpengine-daemon) bin=rtpengine ;;
    *) bin=$pkg ;;
  esac
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-peers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  if (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}") >/tmp/pbxlab-apt.log 2>&1; then
    exit 0
  fi
  echo "install-peers: apt-get failed (see /tmp/pbxlab-apt.log)"
fi
echo "############################################################################"
echo "## install-peers: NOT INSTALLED: ${missing[*]}"
echo "## the tests that need them (interop, capture cross-checks) will SKIP."
echo "## run as root with network to Debian's archive, or: apt-get install ${missing[*]}"
echo "############################################################################"
exit 0

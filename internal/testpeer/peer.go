// Package testpeer is how a test says it needs an external peer (SIPp,
// tshark, Kamailio, baresip, linphonec, the Docker engine, root with ip
// and nft): when the peer is missing the test skips with a message that starts "peer missing: NAME", which
// internal/tools/testsummary lists at the end of `make test`; under CI
// (CI=true, as .ci/run sets) it fails instead, unless the peer is on the
// allowed list (AllowedMissingInCI). It does not import testing.
package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Prefix starts every skip (or CI failure) message of a missing peer.
const Prefix = "peer missing: "

// The peers tests use.
const (
	SIPp     = "sipp"
	Tshark   = "tshark"
	Kamailio = "kamailio"
	Baresip  = "baresip"
	Docker   = "docker"
	// Linphone is linphone-cli's console softphone.
	Linphone = "linphonec"
)

// TB is the part of testing.TB the package needs.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
}

// AllowedMissingInCI lists the peers a CI run may lack, and so skip the
// tests of. It is empty: .ci/run installs sipp, tshark, kamailio,
// baresip and linphonec, and the Docker engine runs on CI machines. Add a peer here only
// when it truly cannot be installed there, with the reason beside it.
func AllowedMissingInCI() []string { return nil }

// InCI reports whether the tests run under CI (CI=true or CI=1).
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// Package is the Debian package that provides the peer.
func Package(name string) string {
	switch name {
	case SIPp:
		return "sip-tester"
	case Baresip:
		return "baresip-core"
	case Linphone:
		return "linphone-cli"
	case Docker:
		return "docker.io"
	case IP:
		return "iproute2"
	case Nft:
		return "nftables"
	default:
		return name
	}
}

// Message is the skip message for a missing peer: "peer missing: NAME:
// detail (...)".
func Message(name, detail string) string {
	if name == Root {
		return fmt.Sprintf("%s%s: %s (.ci/run runs as root)", Prefix, name, detail)
	}
	return fmt.Sprintf("%s%s: %s (Debian package %s; .ci/run installs it)", Prefix, name, detail, Package(name))
}

// Missing ends the test because peer name is missing: a skip, or under CI
// a failure unless name is in AllowedMissingInCI.
func Missing(t TB, name, detail string) {
	t.Helper()
	msg := Message(name, detail)
	if InCI() && !slices.Contains(AllowedMissingInCI(), name) {
		t.Fatal(msg + " [CI=true: a peer-dependent test may not skip]")
		return
	}
	t.Skip(msg)
}

// Find returns the path of the peer's program: on PATH, else in /usr/sbin
// or /sbin (Kamailio installs there, outside a normal user's PATH).
func Find(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("find %s: %w", name, exec.ErrNotFound)
}

// Require returns the path of the peer's program, or ends the test as
// Missing does.
func Require(t TB, name string) string {
	t.Helper()
	p, err := Find(name)
	if err != nil {
		Missing(t, name, fmt.Sprintf("%q not found on PATH", name))
	}
	return p
}

// Parse returns the peer a skip message names, if it is a missing-peer
// message.
func Parse(msg string) (name string, ok bool) {
	_, rest, found := strings.Cut(msg, Prefix)
	if !found {
		return "", false
	}
	end := strings.IndexFunc(rest, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	})
	if end < 0 {
		end = len(rest)
	}
	if end == 0 {
		return "", false
	}
	return rest[:end], true
}

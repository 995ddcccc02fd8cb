package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type fakeTB struct{ skipped, failed string }

func (f *fakeTB) Helper()        {}
func (f *fakeTB) Skip(a ...any)  { f.skipped = fmt.Sprint(a...) }
func (f *fakeTB) Fatal(a ...any) { f.failed = fmt.Sprint(a...) }
func (f *fakeTB) ended() string  { return f.skipped + f.failed }
func (f *fakeTB) String() string { return fmt.Sprintf("skip %q fail %q", f.skipped, f.failed) }

const missingName = "pbxlab-no-such-peer"

func wantPrefix(t *testing.T, f *fakeTB) {
	t.Helper()
	if !strings.HasPrefix(f.ended(), Prefix+missingName+": ") || func() string { n, _ := Parse(f.ended()); return n }() != missingName {
		t.Errorf("message %q: want %q then the peer's name", f.ended(), Prefix)
	}
}

func TestMissingSkipsOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	f := &fakeTB{}
	if p := Require(f, missingName); p != "" || f.skipped == "" || f.failed != "" {
		t.Fatalf("path %q, %v: want a skip", p, f)
	}
	wantPrefix(t, f)
}

func TestMissingFailsInCI(t *testing.T) {
	for _, v := range []string{"true", "1"} {
		t.Setenv("CI", v)
		f := &fakeTB{}
		Missing(f, missingName, "gone")
		if f.failed == "" || f.skipped != "" {
			t.Fatalf("CI=%s: %v, want a failure", v, f)
		}
		wantPrefix(t, f)
	}
}

func TestRequireFindsInstalledProgram(t *testing.T) {
	f := &fakeTB{}
	if p := Require(f, "sh"); p == "" || f.ended() != "" {
		t.Fatalf("sh: path %q, %v", p, f)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		msg, want string
		ok        bool
	}{
		{"x_test.go:12: " + Message(SIPp, "not found"), "sipp", true},
		{"peer missing: baresip-core.1 (modules)", "baresip-core.1", true},
		{"peer missing: ", "", false},
		{"skipped: short mode", "", false},
	}
	for _, tt := range tests {
		if got, ok := Parse(tt.msg); got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.msg, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNoPeerCIInstallsIsAllowedMissing(t *testing.T) {
	for _, p := range []string{SIPp, Tshark, Kamailio, Baresip, Linphone, Docker} {
		for _, a := range AllowedMissingInCI() {
			if a == p {
				t.Errorf("%s is installed by .ci/run (or runs on CI): it may not be on the allowed-skip list", p)
			}
		}
	}
}

// Every program peer's Debian package is in the three places that install
// peers: the Makefile's PEERS_PKGS (make test), scripts/install-peers.sh's
// package-to-program map (when the program is not named as the package)
// and .ci/run's apt-get line.
func TestPeersInstalledEverywhere(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	makefile, install, ci := read("Makefile"), read("scripts/install-peers.sh"), read(".ci/run")
	var peersLine, aptLine string
	for l := range strings.SplitSeq(makefile, "\n") {
		if strings.HasPrefix(l, "PEERS_PKGS") {
			peersLine = l
		}
	}
	for l := range strings.SplitSeq(ci, "\n") {
		if strings.HasPrefix(l, "apt-get install") {
			aptLine = l
		}
	}
	for _, p := range []string{SIPp, Tshark, Kamailio, Baresip, Linphone} {
		pkg := Package(p)
		if !slices.Contains(strings.Fields(peersLine), pkg) {
			t.Errorf("Makefile PEERS_PKGS %q lacks %s (peer %s)", peersLine, pkg, p)
		}
		if !slices.Contains(strings.Fields(aptLine), pkg) {
			t.Errorf(".ci/run's apt-get line %q lacks %s (peer %s)", aptLine, pkg, p)
		}
		if pkg != p && !strings.Contains(install, pkg+") bin="+p+" ;;") {
			t.Errorf("scripts/install-peers.sh does not map package %s to program %s", pkg, p)
		}
	}
}

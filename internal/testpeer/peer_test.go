package testpeer

import (
	"fmt"
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
	for _, p := range []string{SIPp, Tshark, Kamailio, Baresip, Docker} {
		for _, a := range AllowedMissingInCI() {
			if a == p {
				t.Errorf("%s is installed by .ci/run (or runs on CI): it may not be on the allowed-skip list", p)
			}
		}
	}
}

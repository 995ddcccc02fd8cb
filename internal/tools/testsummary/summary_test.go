package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// stream builds a go test -json stream from (action, package, test,
// output) tuples.
func stream(t *testing.T, evs ...[4]string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range evs {
		line, err := json.Marshal(event{Action: e[0], Package: e[1], Test: e[2], Output: e[3]})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func summarise(t *testing.T, in string, ci bool) (string, int) {
	t.Helper()
	var out strings.Builder
	code := run(strings.NewReader(in), &out, ci)
	return out.String(), code
}

const pkgA, pkgB = "pbxlab/a", "pbxlab/b"

// a passing package, a skipped peer test, a failing test, a package
// without tests
func mixed(t *testing.T) string {
	return stream(t,
		[4]string{"start", pkgA, "", ""},
		[4]string{"run", pkgA, "TestOK", ""},
		[4]string{"output", pkgA, "TestOK", "=== RUN   TestOK\n"},
		[4]string{"output", pkgA, "TestOK", "    a_test.go:9: chatty log of a passing test\n"},
		[4]string{"output", pkgA, "TestOK", "--- PASS: TestOK (0.00s)\n"},
		[4]string{"pass", pkgA, "TestOK", ""},
		[4]string{"run", pkgA, "TestPeer", ""},
		[4]string{"output", pkgA, "TestPeer", "=== RUN   TestPeer\n"},
		[4]string{"output", pkgA, "TestPeer", "    a_test.go:20: peer missing: sipp: \"sipp\" not found on PATH\n"},
		[4]string{"output", pkgA, "TestPeer", "--- SKIP: TestPeer (0.00s)\n"},
		[4]string{"skip", pkgA, "TestPeer", ""},
		[4]string{"run", pkgA, "TestShort", ""},
		[4]string{"output", pkgA, "TestShort", "    a_test.go:30: short mode\n"},
		[4]string{"skip", pkgA, "TestShort", ""},
		[4]string{"output", pkgA, "", "PASS\n"},
		[4]string{"output", pkgA, "", "ok  \tpbxlab/a\t0.1s\n"},
		[4]string{"pass", pkgA, "", ""},
		[4]string{"output", "pbxlab/c", "", "?   \tpbxlab/c\t[no test files]\n"},
		[4]string{"skip", "pbxlab/c", "", ""},
	)
}

func TestSummaryListsSkipsAndHidesPassingOutput(t *testing.T) {
	out, code := summarise(t, mixed(t), false)
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{
		"ok  \tpbxlab/a\t0.1s\n",
		"?   \tpbxlab/c\t[no test files]\n",
		"=== SKIPPED: 2 tests\n",
		"--- SKIP: pbxlab/a TestPeer\n        a_test.go:20: peer missing: sipp: \"sipp\" not found on PATH\n",
		"--- SKIP: pbxlab/a TestShort\n        a_test.go:30: short mode\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\ntests: 1 passed, 0 failed, 2 skipped\n") {
		t.Errorf("closing line wrong:\n%s", out)
	}
	for _, banned := range []string{"chatty log", "PASS\n", "=== RUN"} {
		if strings.Contains(out, banned) {
			t.Errorf("output of a passing test shown (%q):\n%s", banned, out)
		}
	}
}

func TestSummaryFailsCIOnPeerSkip(t *testing.T) {
	out, code := summarise(t, mixed(t), true)
	if code == 0 || !strings.Contains(out, "CI=true: 1 tests skipped for a missing peer") ||
		!strings.Contains(out, "pbxlab/a TestPeer (sipp)") {
		t.Errorf("exit %d, want non-zero naming the sipp skip:\n%s", code, out)
	}
}

func TestSummaryShowsFailures(t *testing.T) {
	in := stream(t,
		[4]string{"run", pkgB, "TestBad", ""},
		[4]string{"output", pkgB, "TestBad", "=== RUN   TestBad\n"},
		[4]string{"output", pkgB, "TestBad", "    b_test.go:5: boom\n"},
		[4]string{"output", pkgB, "TestBad", "--- FAIL: TestBad (0.00s)\n"},
		[4]string{"fail", pkgB, "TestBad", ""},
		[4]string{"run", pkgB, "TestGood", ""},
		[4]string{"output", pkgB, "TestGood", "    b_test.go:9: quiet\n"},
		[4]string{"pass", pkgB, "TestGood", ""},
		[4]string{"output", pkgB, "", "FAIL\n"},
		[4]string{"output", pkgB, "", "FAIL\tpbxlab/b\t0.1s\n"},
		[4]string{"fail", pkgB, "", ""},
	)
	out, code := summarise(t, in, false)
	if code == 0 {
		t.Errorf("exit 0 for a failed test:\n%s", out)
	}
	for _, want := range []string{"=== SKIPPED: none\n", "b_test.go:5: boom", "--- FAIL: TestBad", "FAIL\tpbxlab/b", "--- FAIL: pbxlab/b TestBad\n", "tests: 1 passed, 1 failed, 0 skipped\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "quiet") {
		t.Errorf("output of a passing test shown:\n%s", out)
	}
}

// A test binary that dies (timeout panic) leaves a test without its end:
// its output is shown, and a stream cut short fails.
func TestSummaryShowsUnfinishedTests(t *testing.T) {
	in := stream(t,
		[4]string{"run", pkgB, "TestHang", ""},
		[4]string{"output", pkgB, "TestHang", "    b_test.go:7: waiting\n"},
		[4]string{"output", pkgB, "", "panic: test timed out after 1s\n"},
		[4]string{"fail", pkgB, "", ""},
		[4]string{"run", pkgA, "TestCut", ""},
		[4]string{"output", pkgA, "TestCut", "    a_test.go:1: cut here\n"},
	)
	out, code := summarise(t, in+"not json: go vet failed\n", false)
	if code == 0 {
		t.Errorf("exit 0:\n%s", out)
	}
	for _, want := range []string{"b_test.go:7: waiting", "panic: test timed out", "pbxlab/a never finished", "a_test.go:1: cut here", "not json: go vet failed\n", "FAIL pbxlab/b\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSummaryFailsOnBuildFailureAndEmptyStream(t *testing.T) {
	in := `{"ImportPath":"pbxlab/b [pbxlab/b.test]","Action":"build-output","Output":"b.go:1: syntax error\n"}
{"ImportPath":"pbxlab/b [pbxlab/b.test]","Action":"build-fail"}
`
	out, code := summarise(t, in, false)
	if code == 0 || !strings.Contains(out, "b.go:1: syntax error") || !strings.Contains(out, "[build failed]") {
		t.Errorf("build failure: exit %d\n%s", code, out)
	}
	if out, code := summarise(t, "", false); code == 0 || !strings.Contains(out, "no go test -json event") {
		t.Errorf("empty stream: exit %d\n%s", code, out)
	}
}

func FuzzSummary(f *testing.F) {
	f.Add(`{"Action":"output","Package":"p","Test":"T","Output":"x\n"}` + "\n" + `{"Action":"skip","Package":"p","Test":"T"}`)
	f.Add(`{"Action":"fail","Package":"p"}` + "\nnot json\n{")
	f.Fuzz(func(t *testing.T, in string) {
		var out strings.Builder
		if code := run(strings.NewReader(in), &out, true); code != 0 && code != 1 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(out.String(), "tests: ") {
			t.Fatalf("no closing line:\n%s", out.String())
		}
	})
}

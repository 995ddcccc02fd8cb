package features

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/report"
	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

var update = flag.Bool("update", false, "write each scenario's call flow, with the PBX-side capture and its sidecar, to pcaps/golden instead of comparing it with the golden flow")

// goldenUpdateDir is where -update writes the golden call flows (and
// their captures and sidecars): the repository's pcaps/golden (the test
// runs in features/).
func goldenUpdateDir() string {
	if !*update {
		return ""
	}
	return filepath.Join("..", "pcaps", "golden")
}

// outputDir is where scenario captures go: $PBXLAB_FEATURES_OUT, else a
// temporary directory of the test.
func outputDir(t *testing.T) string {
	if d := os.Getenv("PBXLAB_FEATURES_OUT"); d != "" {
		return d
	}
	return t.TempDir()
}

// featuresConcurrency is how many scenarios TestFeatures runs at once:
// $PBXLAB_FEATURES_CONCURRENCY, default 8. Every scenario has its own PBX
// (ephemeral ports, its own store directory) and its own phones, so they
// share nothing.
func featuresConcurrency(t *testing.T) int {
	v := os.Getenv("PBXLAB_FEATURES_CONCURRENCY")
	if v == "" {
		return 8
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("PBXLAB_FEATURES_CONCURRENCY=%q: want a positive number", v)
	}
	return n
}

// TestFeatures runs every feature (but @wip) against a fresh in-process
// PBX per scenario, each scenario a subtest, several at once; with
// -godog.target=container (or PBXLAB_FEATURES_TARGET=container) against a
// PBX container per scenario instead (container_test.go). It logs the
// suite's wall time and the scenarios' summed time (the figures of
// scripts/features-figures.sh); with $PBXLAB_REPORTS_DIR set it writes
// the JUnit and cucumber reports there.
func TestFeatures(t *testing.T) {
	target := featuresTarget(t)
	checkNoLeaks(t)
	var out bytes.Buffer
	dir := outputDir(t)
	format := "pretty"
	rd := os.Getenv("PBXLAB_REPORTS_DIR")
	if rd != "" {
		dir = filepath.Join(rd, "features-inprocess")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		format += ",junit:" + filepath.Join(rd, "features-inprocess.junit.xml") + ",cucumber:" + filepath.Join(rd, "features-inprocess.cucumber.json")
	}
	conc := featuresConcurrency(t)
	if selectedTarget() == targetContainer {
		conc = min(conc, 2) // a container per scenario: two at a time on two cores
	}
	suite, rec, err := newSuite(t.Context(), Options{
		Target:       target,
		Wait:         targetWait(),
		Tags:         featuresTags(),
		Output:       dir,
		Format:       format,
		Out:          &out,
		Randomize:    -1,
		Concurrency:  conc,
		UpdateGolden: goldenUpdateDir(),
	}, files, dirs())
	if err != nil {
		t.Fatal(err)
	}
	suite.Options.TestingT = t
	start := time.Now()
	status := suite.Run()
	wall := time.Since(start)
	res := rec.result()
	var sum time.Duration
	for _, d := range res.Details {
		sum += d.Duration
	}
	t.Logf("%s: scenarios %d, passed %d, failed %d, skipped %d in %s", selectedTarget(), res.Scenarios, res.Passed, res.Failed, res.Skipped, wall.Round(time.Millisecond))
	if n := len(res.Details); n > 0 {
		t.Logf("figures: concurrency %d, wall time %s, scenarios' summed time %s (mean %s per scenario)",
			conc, wall.Round(time.Millisecond), sum.Round(time.Millisecond), (sum / time.Duration(n)).Round(time.Millisecond))
	}
	if rd != "" {
		page := filepath.Join(rd, "features-inprocess.html")
		err := res.WriteHTML(page, ReportOptions{
			Title: "pbxlab features, in-process",
			Meta:  []report.KV{{Key: "target", Value: selectedTarget() + ": a fresh PBX per scenario (UDP)"}, {Key: "wall time", Value: wall.Round(time.Millisecond).String()}},
		})
		if err != nil {
			t.Error(err)
		}
		t.Logf("reports in %s", rd)
	}
	checkCapturesWithTshark(t, dir)
	if status != 0 || !res.OK() {
		t.Errorf("suite failed (status %d):\n%s\nfailures:\n%s\nfailed scenarios:\n%s", status, out.String(), strings.Join(res.Failures, "\n"), failedNames(res))
	}
	if (os.Getenv("PBXLAB_FEATURES_TAGS") == "" && res.Scenarios < 20) || res.Skipped != 0 {
		t.Errorf("want every scenario run in-process, got %+v", res)
	}
}

// checkCapturesWithTshark has Wireshark's dissector read every scenario
// capture: each must open, and each PBX-side capture must hold SIP. It is
// a subtest of its own, so that a missing tshark skips it alone (loudly;
// under CI=true it fails).
func checkCapturesWithTshark(t *testing.T, dir string) {
	t.Helper()
	t.Run("tshark cross-check", func(t *testing.T) {
		tshark := testpeer.Require(t, testpeer.Tshark)
		files, _ := filepath.Glob(filepath.Join(dir, "*.pcapng"))
		if len(files) == 0 {
			t.Fatalf("no scenario captures in %s", dir)
		}
		withSIP := 0
		for _, f := range files {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			var out bytes.Buffer
			cmd := exec.Command(tshark, "-r", f, "-Y", "sip")
			cmd.Stdout, cmd.Stderr = &out, &out
			err := testproc.Run(ctx, cmd)
			cancel()
			if err != nil {
				t.Errorf("tshark -r %s: %v\n%s", f, err, out.Bytes())
				continue
			}
			if bytes.Contains(out.Bytes(), []byte("SIP")) {
				withSIP++
			}
		}
		if withSIP < len(files)/2 {
			t.Errorf("tshark dissected SIP in only %d of %d captures", withSIP, len(files))
		}
	})
}

// TestAfterHookFailsUncheckedCall: a scenario that places a call and never
// asserts how it ended must fail, with ErrUnchecked's message.
func TestAfterHookFailsUncheckedCall(t *testing.T) {
	checkNoLeaks(t)
	suite, rec, err := newSuite(t.Context(), Options{Target: &InProcess{}, Output: t.TempDir()}, os.DirFS("testdata"), []string{"unchecked"})
	if err != nil {
		t.Fatal(err)
	}
	status := suite.Run()
	res := rec.result()
	if status == 0 || res.Scenarios != 1 || res.Failed != 1 {
		t.Fatalf("want the one scenario to fail, got status %d, %+v", status, res)
	}
	msg := res.Failures[0]
	for _, want := range []string{"call outcome not asserted", "call 1 (1001 -> 1002)", ".pcapng"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q does not mention %q", msg, want)
		}
	}
}

// TestRunLive runs the features through Run against a PBX reached by
// address only, as `pbxlab demo` does: numbers come from a pool, several
// scenarios at once, @in-process scenarios skipped.
func TestRunLive(t *testing.T) {
	checkNoLeaks(t)
	cfg := config.Demo()
	cfg.Call.ShutdownGrace = 0
	inst, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := inst.Close(); err != nil {
			t.Error(err)
		}
	}()
	var numbers []string
	for n := 1050; n <= 1099; n++ {
		numbers = append(numbers, strconv.Itoa(n))
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		Target: &Live{
			Addr:     inst.UDP.String(),
			Numbers:  numbers,
			Password: func(n string) string { return "demo" + n },
		},
		Output:      outputDir(t),
		Format:      "progress",
		Out:         &out,
		Concurrency: 4,
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("scenarios %d, passed %d, failed %d, skipped %d", res.Scenarios, res.Passed, res.Failed, res.Skipped)
	if !res.OK() {
		t.Errorf("live run failed:\n%s\nfailed scenarios:\n%s", out.String(), strings.Join(res.Failures, "\n"))
	}
	if res.Skipped == 0 || res.Passed == 0 || res.Scenarios != res.Passed+res.Skipped+res.Failed {
		t.Errorf("want in-process scenarios skipped and the rest passed, got %+v", res)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"no target", Options{}},
		{"unknown format", Options{Target: &InProcess{}, Format: "nope", Tags: "@none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(t.Context(), tt.o); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// checkNoLeaks fails the test if goroutines started during it are still
// running a while after it ends.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	before, _ := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, stacks := goroutines()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines leaked (%d before, %d after)\n%s", n-before, before, n, stacks)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// goroutines counts the running goroutines and returns their stacks.
func goroutines() (int, string) {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return runtime.NumGoroutine(), string(buf)
}

// TestFeaturesTCP runs the features in-process over TCP (phones, raw
// fixtures and the PBX), several scenarios at once.
func TestFeaturesTCP(t *testing.T) {
	checkNoLeaks(t)
	var out bytes.Buffer
	// some 320 scenarios, four at a time: ~3 min on an idle 2-core machine,
	// twice that while other test packages share it (make test)
	ctx, cancel := context.WithTimeout(t.Context(), 12*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		Target:      &InProcess{Transport: "tcp"},
		Tags:        tcpTags(), // @udp: a datagram's bounds are the message's
		Output:      outputDir(t),
		Format:      "progress",
		Out:         &out,
		Concurrency: 4,
	})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("scenarios %d, passed %d, failed %d, skipped %d", res.Scenarios, res.Passed, res.Failed, res.Skipped)
	if !res.OK() || res.Skipped != 0 || res.Passed == 0 {
		t.Errorf("tcp run:\n%s\nfailures:\n%s\nfailed scenarios:\n%s\n%d scenarios, %d passed, %d failed, %d skipped", out.String(), strings.Join(res.Failures, "\n"), failedNames(res), res.Scenarios, res.Passed, res.Failed, res.Skipped)
	}
}

// TestEveryScenarioSaysWhereItComesFrom: each scenario is tagged exactly
// one of @manual and @project-default.
func TestEveryScenarioSaysWhereItComesFrom(t *testing.T) {
	suite, _, err := newSuite(t.Context(), Options{Target: &InProcess{}}, files, dirs())
	if err != nil {
		t.Fatal(err)
	}
	suite.Options.Tags = "" // every scenario, @wip included
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range feats {
		for _, p := range f.Pickles {
			n++
			var manual, ours bool
			for _, tag := range p.Tags {
				manual = manual || tag.Name == "@manual"
				ours = ours || tag.Name == "@project-default"
			}
			if manual == ours {
				t.Errorf("%s / %s: want exactly one of @manual and @project-default", p.Uri, p.Name)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d scenarios found", n)
	}
}

// featuresTags is TestFeatures' tag expression: $PBXLAB_FEATURES_TAGS, ""
// (DefaultTags) in-process, containerTags against the container.
func featuresTags() string {
	if selectedTarget() == targetContainer {
		return containerTags()
	}
	return os.Getenv("PBXLAB_FEATURES_TAGS")
}

// tcpTags is TestFeaturesTCP's tag expression: every scenario but @wip and
// @udp ones, narrowed by $PBXLAB_FEATURES_TAGS when set (an and of
// terms: its terms join the others).
func tcpTags() string {
	tags := "~@wip && ~@udp"
	if t := os.Getenv("PBXLAB_FEATURES_TAGS"); t != "" {
		tags += " && " + t
	}
	return tags
}

// failedNames lists the failed scenarios a line each, without their errors:
// printed last, so that the tail of a long log names them.
func failedNames(res Result) string {
	var b strings.Builder
	for _, f := range res.Failures {
		name, _, _ := strings.Cut(f, ": ")
		b.WriteString("  " + name + "\n")
	}
	return b.String()
}

package conform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// reportDir is where a test keeps a run's captures and reports:
// $PBXLAB_REPORTS_DIR/<name> (CI keeps them), else a temporary directory.
func reportDir(t *testing.T, name string) string {
	t.Helper()
	if d := os.Getenv("PBXLAB_REPORTS_DIR"); d != "" {
		dir := filepath.Join(d, name)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// runConform runs conform with every report, as `pbxlab conform` does.
func runConform(ctx context.Context, t *testing.T, target, profile, name string, torture bool, opts ...Option) (*Report, string, error) {
	t.Helper()
	p, err := LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	dir := reportDir(t, name)
	var out bytes.Buffer
	r, err := New(Config{
		Target: target, Profile: p, Dir: dir, Out: &out, Torture: torture,
		Format:  "progress,junit:" + filepath.Join(dir, "junit.xml") + ",cucumber:" + filepath.Join(dir, "cucumber.json"),
		HTML:    filepath.Join(dir, "report.html"),
		Results: filepath.Join(dir, "results.json"),
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(ctx)
	if rep != nil {
		_ = rep.WriteText(&out)
	}
	t.Logf("conform %s at %s (reports in %s):\n%s", p.Name, target, dir, out.String())
	return rep, dir, err
}

// sameResults compares a fresh run with the committed results: the status
// of every scenario, the must-run marks, the torture failures.
func sameResults(t *testing.T, fresh Results, committedPath string) {
	t.Helper()
	committed, err := ReadResults(committedPath)
	if err != nil {
		t.Fatal(err)
	}
	render := func(r Results) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s %s %v\n", r.Target, r.Kind, r.Transport, r.Capabilities)
		for _, s := range r.Scenarios {
			fmt.Fprintf(&b, "%s | %s | must-run %v | %s\n", s.ID, s.Status, s.MustRun, s.Reason)
		}
		if r.Torture != nil {
			fmt.Fprintf(&b, "torture %s %d %v\n", r.Torture.Table, r.Torture.Results, r.Torture.Failed)
		}
		return b.String()
	}
	if a, b := render(fresh), render(committed); a != b {
		t.Errorf("this run's results differ from %s (the README's table is made from it; run scripts/conform-table.sh to redo both):\n--- this run\n%s--- committed\n%s", committedPath, a, b)
	}
}

// TestConformPBXLab runs `pbxlab conform` as the library does against the
// demo PBX (what `pbxlab serve` runs without --config) with
// targets/pbxlab.yaml and the torture messages: everything selected
// passes, and the results are the committed results/pbxlab.json.
func TestConformPBXLab(t *testing.T) {
	leakcheck.Check(t)
	cfg := config.Demo()
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := in.Close(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rep, dir, err := runConform(ctx, t, in.UDP.String(), filepath.Join("targets", "pbxlab.yaml"), "conform-pbxlab", true)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("pbxlab does not conform to its own profile: %v, failures %v", rep.Problems, rep.Features.Failures)
	}
	if rep.Torture == nil || len(rep.Torture.Results) != 62 {
		t.Errorf("torture: %+v", rep.Torture)
	}
	for _, f := range []string{"report.html", "junit.xml", "cucumber.json", "results.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("report %s: %v", f, err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{"target (pbxlab)", "Torture messages", "DEVIATES", "(must-run)", "<svg"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	sameResults(t, rep.Results(), filepath.Join("results", "pbxlab.json"))
}

// TestConformNoAnswer: a target that does not answer gives a clear error
// at once, runs nothing, and every report says so.
func TestConformNoAnswer(t *testing.T) {
	leakcheck.Check(t)
	addr := udpResponder(t, func([]byte) []byte { return nil })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	rep, dir, err := runConform(ctx, t, addr, filepath.Join("targets", "kamailio.yaml"), "conform-no-answer", true,
		WithProbeTimeout(time.Second))
	if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "nothing could run") {
		t.Fatalf("err = %v, want ErrNoAnswer and 'nothing could run'", err)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("took %s", took)
	}
	if rep.OK() || rep.Features.Passed != 0 || rep.Features.Failed != len(rep.Plan.Selected) || rep.Torture != nil {
		t.Errorf("report: %+v", rep.Features)
	}
	for _, s := range rep.Results().Scenarios {
		if s.Status != ResultNotRun && s.Status != ResultNA {
			t.Errorf("%s: %s", s.ID, s.Status)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	junit, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	for name, b := range map[string][]byte{"html": html, "junit": junit} {
		if !bytes.Contains(b, []byte("target does not answer")) {
			t.Errorf("%s report does not say the target did not answer", name)
		}
	}
	if !bytes.Contains(html, []byte("Nothing could run")) {
		t.Error("HTML report does not say nothing could run")
	}
}

// TestConformGarbage: a target answering every datagram with bytes that
// are not SIP: the probe says so, the scenarios run and fail with clear
// messages, each within its deadline, and nothing hangs.
func TestConformGarbage(t *testing.T) {
	leakcheck.Check(t)
	addr := udpResponder(t, garbage)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rep, dir, err := runConform(ctx, t, addr, filepath.Join("targets", "kamailio.yaml"), "conform-garbage", false,
		WithProbeTimeout(time.Second), WithWait(time.Second), WithScenarioTimeout(20*time.Second))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !errors.Is(rep.Probe.Err, ErrGarbage) || rep.OK() {
		t.Fatalf("probe %v, ok %v", rep.Probe.Err, rep.OK())
	}
	if rep.Features.Failed != len(rep.Plan.Selected) {
		t.Errorf("%d of %d scenarios failed", rep.Features.Failed, len(rep.Plan.Selected))
	}
	for _, d := range rep.Features.Details {
		if !strings.Contains(d.Error, "register") {
			t.Errorf("%s: %q does not say what failed", d.ID(), d.Error)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !bytes.Contains(html, []byte("is not SIP")) {
		t.Error("HTML report does not say the answers are not SIP")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/pbxtest"
)

// reportScenario calls numbers the PBX does not have (calls.remote): every
// call fails unexpectedly, so the HTML report has ladders to draw.
const reportScenario = `name: report
population: {count: 2, first: "1000", password: "demo{n}", register_expires: 3600s, transport: udp}
behaviours: {answer: 100, busy: 0, no_answer: 0, reject: 0}
calls: {rate: 2, hold: 200ms, duration: 1s, max_concurrent: 2, ring_timeout: 2s, remote: {first: "7770", count: 2}}
seed: 1
`

// TestSimReportFiles: --report writes the JSON report with its series and
// setup histogram, --html a self-contained page with the failed calls'
// ladders (from a capture the command makes itself), --progress plain
// prints progress lines on stderr, --metrics serves while it runs.
func TestSimReportFiles(t *testing.T) {
	leakcheck.Check(t, 1) // os/signal's loop, as in TestSimSetsSipgoUpLikeTheSimTests
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	dir := t.TempDir()
	file := filepath.Join(dir, "report.yaml")
	if err := os.WriteFile(file, []byte(reportScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonPath, htmlPath := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.html")
	var out, errb bytes.Buffer
	code := run([]string{"sim", file, "--target", in.Target(), "--progress", "plain", "--report", jsonPath, "--html", htmlPath,
		"--metrics", "127.0.0.1:0"}, &out, &errb, inProcessSetup())
	if code != 1 || !strings.Contains(errb.String(), "calls ended otherwise") {
		t.Fatalf("exit %d, want 1 (unexpected outcomes)\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "calls/s") || !strings.Contains(errb.String(), "metrics at http://127.0.0.1:") {
		t.Errorf("stderr lacks the progress line or the metrics address:\n%s", errb.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Scenario string `json:"scenario"`
		Calls    struct {
			Attempted, Unexpected int
		} `json:"calls"`
		Series struct {
			IntervalS float64           `json:"interval_s"`
			Points    []json.RawMessage `json:"points"`
		} `json:"series"`
		SetupHistogram struct {
			SubBits int `json:"sub_bits"`
		} `json:"setup_histogram"`
		FailedCalls []struct {
			Code     int               `json:"code"`
			Messages []json.RawMessage `json:"messages"`
		} `json:"failed_calls"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Scenario != "report" || rep.Calls.Attempted == 0 || rep.Series.IntervalS != 1 || len(rep.Series.Points) == 0 ||
		rep.SetupHistogram.SubBits != 5 || len(rep.FailedCalls) == 0 || len(rep.FailedCalls[0].Messages) < 2 {
		t.Fatalf("JSON report:\n%s", b)
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Calls per second") || !strings.Contains(string(page), ">INVITE<") ||
		strings.Contains(string(page), "No SIP message of this call") {
		t.Errorf("HTML report without plots or ladders:\n%s", page)
	}
	if strings.Contains(string(page), "<script") {
		t.Error("HTML report has a script")
	}
}

func TestSimProgressFlagRefusesAnUnknownMode(t *testing.T) {
	var out, errb bytes.Buffer
	file := filepath.Join("..", "..", "scenarios", "busy-hour.yaml")
	if code := run([]string{"sim", file, "--progress", "fancy"}, &out, &errb, inProcessSetup()); code != 2 ||
		!strings.Contains(errb.String(), "auto, tty, plain or off") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

// TestSimReportWrittenWhenInterrupted: an interrupted run (its context
// cancelled, as Ctrl-C does) still writes the JSON and HTML reports and
// returns the cancellation.
func TestSimReportWrittenWhenInterrupted(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "report.yaml")
	if err := os.WriteFile(file, []byte(reportScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonPath, htmlPath := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.html")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	err := cmdSim(ctx, []string{file, "--target", "127.0.0.1:9", "--progress", "off", "--report", jsonPath, "--html", htmlPath},
		&out, &errb, inProcessSetup())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cmdSim = %v, want cancelled\n%s", err, errb.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Scenario string `json:"scenario"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep.Scenario != "report" {
		t.Fatalf("JSON report %v: %s", err, b)
	}
	if page, err := os.ReadFile(htmlPath); err != nil || !strings.Contains(string(page), "Scenario report") {
		t.Fatalf("HTML report %v: %s", err, page)
	}
	if !strings.Contains(out.String(), "scenario report") {
		t.Errorf("no text report: %s", out.String())
	}
}

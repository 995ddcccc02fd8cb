package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/testproc"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/report"
)

// shardedScenario holds each call 3 s: the time the audio check has to
// hear both tones, which a 1 s hold missed on CI's 2 loaded cores.
const shardedScenario = `name: shards
population: {count: 9, first: "1000", password: "demo{n}", register_expires: 3600s}
behaviours: {answer: 70, busy: 0, no_answer: 0, reject: 30}
answer_delay: 100ms
calls: {rate: 5, hold: 3s, duration: 2s, max_concurrent: 100, ring_timeout: 2s}
audio: {verify: true}
seed: 3
`

// TestSimShardsInProcesses: n `pbxlab sim --shard i/n` processes (the
// built binary, each in its own process group, killed with the test)
// drive one PBX; `pbxlab sim merge` combines their reports into the report
// of the unsharded run with the same seed: the same registrations, calls,
// outcomes by status and audio checks.
func TestSimShardsInProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	dir := t.TempDir()
	bin := filepath.Join(dir, "pbxlab")
	var out bytes.Buffer
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = &out, &out
	if err := testproc.Run(ctx, build); err != nil {
		t.Fatalf("go build: %v\n%s", err, out.Bytes())
	}
	file := filepath.Join(dir, "shards.yaml")
	if err := os.WriteFile(file, []byte(shardedScenario), 0o644); err != nil {
		t.Fatal(err)
	}

	// the unsharded run, in-process
	wholeFile := filepath.Join(dir, "whole.json")
	var wout, werr bytes.Buffer
	if code := run([]string{"sim", file, "--target", in.Target(), "--report", wholeFile}, &wout, &werr, inProcessSetup()); code != 0 {
		t.Fatalf("unsharded run: exit %d\n%s%s", code, wout.String(), werr.String())
	}

	const n = 3
	procs := make([]*testproc.Proc, n)
	outs := make([]*bytes.Buffer, n)
	files := make([]string, n)
	for i := range n {
		files[i] = filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		cmd := exec.Command(bin, "sim", file, "--target", in.Target(), "--shard", fmt.Sprintf("%d/%d", i, n),
			"--start-after", "3s", "--report", files[i])
		outs[i] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		procs[i] = testproc.StartTB(t, cmd)
	}
	for i, p := range procs {
		if err := p.Wait(ctx); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, outs[i].String())
		}
	}

	mergedFile := filepath.Join(dir, "merged.json")
	var mout, merr bytes.Buffer
	htmlFile := filepath.Join(dir, "merged.html")
	if code := run(append([]string{"sim", "merge", "-o", mergedFile, "--html", htmlFile}, files...), &mout, &merr, inProcessSetup()); code != 0 {
		t.Fatalf("merge: exit %d\n%s%s", code, mout.String(), merr.String())
	}
	if page, err := os.ReadFile(htmlFile); err != nil || !bytes.Contains(page, []byte("shards")) || bytes.Count(page, []byte("<polyline")) < 5 {
		t.Errorf("merged HTML report: %v, %d bytes naming the scenario %v, %d lines over time", err, len(page),
			bytes.Contains(page, []byte("shards")), bytes.Count(page, []byte("<polyline")))
	}
	t.Logf("merged:\n%s", mout.String())
	whole, merged := readTestReport(t, wholeFile), readTestReport(t, mergedFile)
	wc, mc := whole.Calls, merged.Calls
	if wc.Attempted == 0 || wc.Answered == 0 || wc.Unexpected != 0 || wc.Skipped != 0 {
		t.Fatalf("unsharded calls %+v", wc)
	}
	if mc.Attempted != wc.Attempted || mc.Answered != wc.Answered || mc.Failed != wc.Failed || mc.Media != wc.Media ||
		mc.Unexpected != 0 || mc.Skipped != 0 || !maps.Equal(mc.ByCode, wc.ByCode) {
		t.Errorf("merged calls %+v\nunsharded %+v", mc, wc)
	}
	if merged.Registrations.OK != whole.Registrations.OK || merged.Registrations.Unregistered != 9 || merged.Registrations.Failed != 0 {
		t.Errorf("merged registrations %+v, unsharded %+v", merged.Registrations, whole.Registrations)
	}
	if merged.Audio.Checked != wc.Answered || merged.Audio.Verified != merged.Audio.Checked {
		t.Errorf("merged audio %+v for %d answered", merged.Audio, wc.Answered)
	}
	if merged.SetupHistogram.Count() != wc.Answered || merged.SetupTime.Count != wc.Answered {
		t.Errorf("merged setup %+v (histogram %d) for %d answered", merged.SetupTime, merged.SetupHistogram.Count(), wc.Answered)
	}
	if merged.Quality.Streams != whole.Quality.Streams || merged.Quality.Silent != 0 {
		t.Errorf("merged quality %+v, unsharded %+v: both legs of every answered call", merged.Quality, whole.Quality)
	}
	started := 0
	for _, p := range merged.Series.Points {
		started += p.Started
	}
	if started != wc.Attempted {
		t.Errorf("merged series: %d calls started, %d attempted", started, wc.Attempted)
	}
	if want := "shards [0/3 1/3 2/3]"; !strings.Contains(mout.String(), want) {
		t.Errorf("merge output lacks %q", want)
	}
}

func readTestReport(t *testing.T, path string) *report.Report {
	t.Helper()
	r, err := readReport(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSimMergeRefusesBadInput: `pbxlab sim merge` without reports is a
// usage error (exit 2); a missing file, a file that is not a report, and
// reports of two seeds fail (exit 1) naming the problem.
func TestSimMergeRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hist := `"histograms": {"setup": {"count": 0}}`
	a := write("a.json", `{"scenario": "s", "seed": 1, "shard": "0/2", `+hist+`}`)
	b := write("b.json", `{"scenario": "s", "seed": 2, "shard": "1/2", `+hist+`}`)
	junk := write("junk.json", `not json`)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no reports", nil, 2, "usage"},
		{"missing file", []string{filepath.Join(dir, "none.json")}, 1, "none.json"},
		{"not a report", []string{junk}, 1, "junk.json"},
		{"two seeds", []string{a, b}, 1, "reports cannot be merged"},
		{"a shard twice", []string{a, a}, 1, "shard 0/2 twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"sim", "merge"}, tc.args...), &out, &errb, inProcessSetup())
			if code != tc.code || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
		})
	}
}

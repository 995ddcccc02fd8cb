package sim

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
	"pbxlab/sim/simmetrics"
)

const outputScenario = `name: output-test
population: {count: 4, first: "100", password: "pw{n}", register_expires: 60s}
behaviours: {answer: 100, busy: 0, no_answer: 0, reject: 0}
calls: {rate: 4, hold: 1s, duration: %s, max_concurrent: 10, ring_timeout: 2s}
seed: 5
`

func parseOutputScenario(t *testing.T, duration string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("out.yaml", []byte(strings.Replace(outputScenario, "%s", duration, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// scrape reads the metrics endpoint into name{labels} → value.
func scrape(t *testing.T, ctx context.Context, url string) map[string]float64 {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		name := line[:i]
		name = strings.Replace(name, `scenario="output-test",`, "", 1)
		name = strings.Replace(name, `,scenario="output-test"`, "", 1)
		name = strings.Replace(name, `{scenario="output-test"}`, "", 1)
		out[name] = v
	}
	return out
}

// TestSimMetricsWhileRunning scrapes /metrics during a run against the
// fake PBX: before the run nothing, during it the phones registered and
// calls in progress, after it counters that match the report.
func TestSimMetricsWhileRunning(t *testing.T) {
	checkLeaks(t)
	pbx := newFakePBX(t)
	sc := parseOutputScenario(t, "2s")
	var live report.Live
	srv := httptest.NewServer(simmetrics.Handler(simmetrics.NewRegistry(&live, sc.Name)))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if m := scrape(t, ctx, srv.URL); len(m) > 0 && m["pbxlab_sim_calls_started_total"] != 0 {
		t.Fatalf("metrics before the run: %v", m)
	}
	type result struct {
		rep *report.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Run(ctx, sc, Target{Addr: pbx.addr}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithLive(&live))
		done <- result{rep, err}
	}()
	var during map[string]float64
	for during == nil {
		select {
		case <-ctx.Done():
			t.Fatal("no call in progress seen")
		case <-time.After(20 * time.Millisecond):
		}
		if m := scrape(t, ctx, srv.URL); m["pbxlab_sim_calls_in_progress"] > 0 {
			during = m
		}
	}
	if during["pbxlab_sim_phones_registered"] != 4 || during["pbxlab_sim_registrations_ok_total"] != 4 {
		t.Errorf("during the run: %v", during)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	after := scrape(t, ctx, srv.URL)
	rep := res.rep
	for name, want := range map[string]float64{
		"pbxlab_sim_calls_started_total":               float64(rep.Calls.Attempted),
		"pbxlab_sim_calls_answered_total":              float64(rep.Calls.Answered),
		`pbxlab_sim_calls_by_status_total{code="200"}`: float64(rep.Calls.ByCode[200]),
		"pbxlab_sim_calls_in_progress":                 0,
		"pbxlab_sim_phones_registered":                 0,
		"pbxlab_sim_setup_seconds_count":               float64(rep.Calls.Answered),
		`pbxlab_sim_setup_seconds_bucket{le="+Inf"}`:   float64(rep.Calls.Answered),
		"pbxlab_sim_audio_verified_total":              float64(rep.Audio.Verified),
		"pbxlab_sim_registrations_failed_total":        0,
	} {
		if got, ok := after[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if rep.Calls.Answered == 0 || after["pbxlab_sim_setup_seconds_sum"] <= 0 || after["pbxlab_sim_mos_min"] < 4 {
		t.Errorf("after the run: %v\nreport %+v", after, rep.Calls)
	}
	// the report's own time series saw the same run
	started, maxConc := 0, 0
	for _, p := range rep.Series.Points {
		started += p.Started
		maxConc = max(maxConc, p.Concurrency)
	}
	if started != rep.Calls.Attempted || maxConc == 0 || rep.SetupHistogram.Count() != rep.Calls.Answered {
		t.Errorf("series %+v, setup histogram %d, report %+v", rep.Series, rep.SetupHistogram.Count(), rep.Calls)
	}
}

// TestSimReportWhenCancelled: a run cancelled while calls are up returns
// the report so far with the cancellation, its phones unregistered and
// its calls ended.
func TestSimReportWhenCancelled(t *testing.T) {
	checkLeaks(t)
	pbx := newFakePBX(t)
	sc := parseOutputScenario(t, "60s")
	var live report.Live
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deadline, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	go func() {
		for {
			select {
			case <-deadline.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
			if s, ok := live.Snapshot(); ok && s.Answered > 0 && s.InProgress > 0 {
				cancel()
				return
			}
		}
	}()
	rep, err := Run(ctx, sc, Target{Addr: pbx.addr}, WithLocalIP(netip.MustParseAddr("127.0.0.1")), WithLive(&live))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want cancelled", err)
	}
	if rep == nil {
		t.Fatal("no report from a cancelled run")
	}
	if rep.Registrations.Unregistered != 4 || pbx.bindings() != 0 {
		t.Errorf("registrations %+v, %d bindings left", rep.Registrations, pbx.bindings())
	}
	if s, _ := live.Snapshot(); s.InProgress != 0 || rep.Calls.Answered == 0 || len(rep.Series.Points) == 0 {
		t.Errorf("snapshot %+v, calls %+v, %d points", s, rep.Calls, len(rep.Series.Points))
	}
}

// TestSimTargetThatDropsEverything: a target that never answers fails the
// run with ErrNoAnswer, not the caller's deadline.
func TestSimTargetThatDropsEverything(t *testing.T) {
	checkLeaks(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sc := parseOutputScenario(t, "2s")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, sc, Target{Addr: pc.LocalAddr().String()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")),
		WithTargetTimeout(300*time.Millisecond))
	if !errors.Is(err, ErrNoAnswer) || errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		t.Fatalf("Run = %v, want ErrNoAnswer", err)
	}
	if rep == nil || rep.Registrations.Failed != 1 || rep.Registrations.FailedByCode[0] != 1 || rep.Calls.Attempted != 0 {
		t.Fatalf("report %+v", rep)
	}
}

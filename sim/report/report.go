// Package report collects the outcome of a simulator run — registrations,
// calls by final SIP status, call setup times and the two-way audio checks —
// and renders it as a short text block or as JSON.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"pbxlab/sim/threshold"
)

// Report is the outcome of one run. It is a plain value: build it with a
// Collector, read it, marshal it with encoding/json.
type Report struct {
	Scenario      string        `json:"scenario"`
	Target        string        `json:"target,omitempty"`
	Started       time.Time     `json:"started"`
	Elapsed       time.Duration `json:"-"`
	Registrations Registrations `json:"registrations"`
	Calls         Calls         `json:"calls"`
	// SetupTime is INVITE sent → 200 OK received, over answered calls.
	SetupTime Percentiles `json:"setup_time"`
	// RingTime is INVITE sent → first 180 Ringing, over calls that rang.
	RingTime Percentiles `json:"ring_time"`
	Audio    Audio       `json:"audio"`
	// Quality is what the receiving phones measured of the audio of
	// answered calls (loss, jitter, one-way delay, E-model MOS).
	Quality Quality `json:"quality"`
	// Trunks counts the calls of each simulated carrier, by name (trunk.go).
	Trunks map[string]Trunk `json:"trunks,omitempty"`
	// Journey counts each step of the scenario's journey (journey.go).
	Journey []JourneyStep `json:"journey,omitempty"`
	// Seed is the scenario's seed: the same seed, the same call plan.
	Seed int64 `json:"seed"`
	// Thresholds are the scenario's pass/fail criteria, checked against
	// this report (CheckThresholds).
	Thresholds []threshold.Result `json:"thresholds,omitempty"`
	// Series is the run over time (live.go).
	Series Series `json:"series"`
	// SetupHistogram holds every answered call's setup time in mergeable
	// log-linear buckets (histogram.go).
	SetupHistogram Histogram `json:"setup_histogram"`
	// MOSCounts counts the measured streams by MOS in 0.1-wide slots from
	// 1.0 (slot 0: below 1.1) to 4.5 (slot 35: 4.5 and above); absent
	// when no stream received audio.
	MOSCounts []int `json:"mos_counts,omitempty"`
	// FailedCalls are the SIP messages of a few calls that failed, for
	// their ladder diagrams (sampled by the runner; see FailedCall).
	FailedCalls []FailedCall `json:"failed_calls,omitempty"`
	// Shard is "i/n" for the report of one shard of a run (sim.WithShard);
	// Shards lists the shards a merged report combines (Merge).
	Shard  string   `json:"shard,omitempty"`
	Shards []string `json:"shards,omitempty"`
	// Histograms are the distributions behind the percentiles, mergeable
	// across shards besides SetupHistogram (merge.go).
	Histograms *Histograms `json:"histograms,omitempty"`
	// Ceiling is the step-by-step outcome of a calls.shape ceiling run
	// (ceiling.go); the rest of the report merges its steps.
	Ceiling *Ceiling `json:"ceiling,omitempty"`
}

// Registrations counts REGISTER outcomes (first registrations and refreshes).
type Registrations struct {
	OK     int `json:"ok"`
	Failed int `json:"failed"`
	// FailedByCode counts failures by final SIP status (0: no response).
	FailedByCode map[int]int `json:"failed_by_code,omitempty"`
	Unregistered int         `json:"unregistered"`
}

// Calls counts call attempts by outcome.
type Calls struct {
	Attempted int `json:"attempted"`
	Answered  int `json:"answered"`
	// Failed counts attempts that ended without a 2xx (busy, rejected,
	// cancelled, errors...).
	Failed int `json:"failed"`
	// ByCode counts every attempt by its final SIP status (0: no response).
	ByCode map[int]int `json:"by_code,omitempty"`
	// Skipped counts calls that were due while max_concurrent was reached.
	Skipped int `json:"skipped"`
	// Unexpected counts attempts whose final status did not match what the
	// callee was told to do (e.g. 486 from a callee set to answer).
	Unexpected int `json:"unexpected"`
	// Media counts the attempts with media (scenario audio.share); the
	// others were signalling-only.
	Media int `json:"media"`
}

// Audio counts two-way audio checks on answered calls.
type Audio struct {
	Checked  int `json:"checked"`
	Verified int `json:"verified"`
	// VerifiedPercent is 100*Verified/Checked (0 when nothing was checked).
	VerifiedPercent float64 `json:"verified_percent"`
}

// Percentiles summarises a set of durations (nearest-rank method).
type Percentiles struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"-"`
	P95   time.Duration `json:"-"`
	P99   time.Duration `json:"-"`
	Max   time.Duration `json:"-"`
}

// MarshalJSON renders the durations in milliseconds.
func (p Percentiles) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Count int     `json:"count"`
		P50   float64 `json:"p50_ms"`
		P95   float64 `json:"p95_ms"`
		P99   float64 `json:"p99_ms"`
		Max   float64 `json:"max_ms"`
	}{p.Count, ms(p.P50), ms(p.P95), ms(p.P99), ms(p.Max)})
}

// MarshalJSON adds the elapsed time in seconds.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_s"`
	}{plain(r), r.Elapsed.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes (a shard's report read
// back by Merge).
func (p *Percentiles) UnmarshalJSON(data []byte) error {
	var v struct {
		Count int     `json:"count"`
		P50   float64 `json:"p50_ms"`
		P95   float64 `json:"p95_ms"`
		P99   float64 `json:"p99_ms"`
		Max   float64 `json:"max_ms"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	d := func(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
	*p = Percentiles{Count: v.Count, P50: d(v.P50), P95: d(v.P95), P99: d(v.P99), Max: d(v.Max)}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Compute returns the percentiles of ds (ds is not modified).
func Compute(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Percentiles{
		Count: len(s),
		P50:   Percentile(s, 50),
		P95:   Percentile(s, 95),
		P99:   Percentile(s, 99),
		Max:   s[len(s)-1],
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of values ≤ it.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.9999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Text writes a short human-readable summary.
func (r *Report) Text(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s", r.Scenario)
	if r.Target != "" {
		fmt.Fprintf(&b, " against %s", r.Target)
	}
	fmt.Fprintf(&b, " (%.1fs, seed %d)\n", r.Elapsed.Seconds(), r.Seed)
	fmt.Fprintf(&b, "  registrations  ok %d  failed %d%s  unregistered %d\n",
		r.Registrations.OK, r.Registrations.Failed, codes(r.Registrations.FailedByCode), r.Registrations.Unregistered)
	fmt.Fprintf(&b, "  calls          attempted %d  answered %d  failed %d  skipped %d  unexpected %d%s\n",
		r.Calls.Attempted, r.Calls.Answered, r.Calls.Failed, r.Calls.Skipped, r.Calls.Unexpected, r.mediaText())
	if len(r.Calls.ByCode) > 0 {
		fmt.Fprintf(&b, "  final status  %s\n", codes(r.Calls.ByCode))
	}
	fmt.Fprintf(&b, "  setup time     %s\n", r.SetupTime.text())
	fmt.Fprintf(&b, "  ring time      %s\n", r.RingTime.text())
	fmt.Fprintf(&b, "  two-way audio  %d/%d verified (%.1f%%)\n", r.Audio.Verified, r.Audio.Checked, r.Audio.VerifiedPercent)
	fmt.Fprintf(&b, "  audio quality  %s\n", r.Quality.text())
	b.WriteString(r.trunksText())
	b.WriteString(r.journeyText())
	b.WriteString(r.thresholdsText())
	b.WriteString(r.ceilingText())
	_, err := io.WriteString(w, b.String())
	return err
}

func (p Percentiles) text() string {
	if p.Count == 0 {
		return "n/a"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (n=%d)",
		round(p.P50), round(p.P95), round(p.P99), round(p.Max), p.Count)
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// codes renders a status histogram as " (486×3, 603×1)", sorted by code.
func codes(m map[int]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		label := fmt.Sprint(k)
		if k == 0 {
			label = "none"
		}
		parts[i] = fmt.Sprintf("%s×%d", label, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// mediaText is "  media N" when some calls were signalling-only.
func (r *Report) mediaText() string {
	if r.Calls.Media >= r.Calls.Attempted {
		return ""
	}
	return fmt.Sprintf("  media %d", r.Calls.Media)
}

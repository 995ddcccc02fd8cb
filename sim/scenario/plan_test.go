package scenario

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, doc string) *Scenario {
	t.Helper()
	sc, err := Parse("plan.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return sc
}

const busyHour = `name: busy
population: {count: 1000, first: "10000", password: "pw{n}"}
behaviours: {answer: 80, busy: 10, no_answer: 5, reject: 5}
calls: {bhca: 3.6, arrivals: poisson, duration: 1h, max_concurrent: 500, hold_dist: {kind: exponential, mean: 90s}, pattern: local}
audio: {verify: true, share: 0.1}
seed: 11
`

func TestSameSeedSamePlan(t *testing.T) {
	sc := mustParse(t, busyHour)
	a, b := NewPlan(sc, 11), NewPlan(sc, 11)
	if !reflect.DeepEqual(a.Phones, b.Phones) {
		t.Fatal("same seed, different phones")
	}
	ca, cb := a.Take(2000), b.Take(2000)
	if len(ca) != 2000 || !reflect.DeepEqual(ca, cb) {
		t.Fatalf("same seed, different calls (%d, %d)", len(ca), len(cb))
	}
	c := NewPlan(sc, 12)
	if reflect.DeepEqual(a.Phones, c.Phones) {
		t.Error("seeds 11 and 12 cast the same phones")
	}
	cc := c.Take(2000)
	for _, f := range []struct {
		name string
		get  func(PlannedCall) any
	}{
		{"times", func(p PlannedCall) any { return p.At }},
		{"callers", func(p PlannedCall) any { return p.Caller }},
		{"callees", func(p PlannedCall) any { return p.Callee }},
		{"holds", func(p PlannedCall) any { return p.Hold }},
		{"media", func(p PlannedCall) any { return p.Media }},
	} {
		same := 0
		for i := range ca {
			if f.get(ca[i]) == f.get(cc[i]) {
				same++
			}
		}
		if same == len(ca) {
			t.Errorf("seeds 11 and 12 plan the same %s", f.name)
		}
	}
}

func TestPlanPoissonArrivals(t *testing.T) {
	sc := mustParse(t, busyHour) // 1000 × 3.6 / 3600 = 1 call/s for an hour
	if sc.Calls.Rate != 1 {
		t.Fatalf("rate from bhca = %v, want 1", sc.Calls.Rate)
	}
	calls := NewPlan(sc, 11).Take(1 << 20)
	n := float64(len(calls))
	if n < 3600*0.9 || n > 3600*1.1 { // sd 60
		t.Errorf("%v calls in an hour at 1/s", n)
	}
	var sum, sum2 float64
	for i := 1; i < len(calls); i++ {
		gap := (calls[i].At - calls[i-1].At).Seconds()
		if gap < 0 {
			t.Fatalf("call %d before call %d", i, i-1)
		}
		sum += gap
		sum2 += gap * gap
	}
	m := sum / (n - 1)
	cv := math.Sqrt(sum2/(n-1)-m*m) / m
	if m < 0.9 || m > 1.1 || cv < 0.9 || cv > 1.1 {
		t.Errorf("inter-arrival mean %.3fs cv %.3f, want about 1s and 1 (exponential)", m, cv)
	}
}

func TestPlanUniformArrivalsAreTodays(t *testing.T) {
	sc := mustParse(t, valid) // rate 5 for 20s
	calls := NewPlan(sc, 1).Take(1000)
	if len(calls) != 100 {
		t.Fatalf("%d calls, want 100", len(calls))
	}
	for i, c := range calls {
		if want := time.Duration(i) * 200 * time.Millisecond; absDur(c.At-want) > time.Microsecond || c.Hold != 3*time.Second || !c.Media {
			t.Fatalf("call %d: %+v, want at %s, hold 3s, media", i, c, want)
		}
	}
}

func absDur(d time.Duration) time.Duration { return max(d, -d) }

func TestPlanHoldDistributions(t *testing.T) {
	tests := []struct {
		dist        string
		mean        time.Duration
		median      time.Duration
		tolMean, lo time.Duration
	}{
		{"{kind: exponential, mean: 90s}", 90 * time.Second, 62383246250, 3 * time.Second, 500 * time.Millisecond},
		// mean 90s, sigma 0.5: median 90·e^(-1/8) = 79.4s
		{"{kind: lognormal, mean: 90s, sigma: 0.5}", 90 * time.Second, time.Duration(90 * math.Exp(-0.125) * float64(time.Second)), 2 * time.Second, 500 * time.Millisecond},
		{"{kind: exponential, mean: 10s, min: 2s, max: 30s}", 0, 0, 0, 2 * time.Second},
	}
	for _, tc := range tests {
		doc := strings.Replace(busyHour, "hold_dist: {kind: exponential, mean: 90s}", "hold_dist: "+tc.dist, 1)
		doc = strings.Replace(doc, "bhca: 3.6", "bhca: 36", 1) // 10/s: 36000 calls
		calls := NewPlan(mustParse(t, doc), 5).Take(1 << 20)
		holds := make([]time.Duration, len(calls))
		var sum time.Duration
		for i, c := range calls {
			holds[i] = c.Hold
			sum += c.Hold
		}
		slices.Sort(holds)
		if holds[0] < tc.lo {
			t.Errorf("%s: shortest hold %s below the minimum %s", tc.dist, holds[0], tc.lo)
		}
		if tc.mean == 0 {
			if holds[len(holds)-1] > 30*time.Second {
				t.Errorf("%s: longest hold %s above the maximum", tc.dist, holds[len(holds)-1])
			}
			continue
		}
		mean, median := sum/time.Duration(len(holds)), holds[len(holds)/2]
		if absDur(mean-tc.mean) > tc.tolMean || absDur(median-tc.median) > tc.tolMean {
			t.Errorf("%s: %d holds, mean %s median %s, want about %s and %s", tc.dist, len(holds), mean, median, tc.mean, tc.median)
		}
	}
}

func TestPlanPatternsAndMediaShare(t *testing.T) {
	sc := mustParse(t, busyHour)
	p := NewPlan(sc, 11)
	media := 0
	for _, ph := range p.Phones {
		if ph.Media {
			media++
		}
	}
	if media != 100 {
		t.Errorf("%d media phones of 1000 with share 0.1", media)
	}
	calls := p.Take(3000)
	mediaCalls := 0
	for _, c := range calls {
		caller, callee := p.Phones[c.Caller], p.Phones[c.Callee]
		if c.Caller == c.Callee || c.Number != callee.Number {
			t.Fatalf("call %+v", c)
		}
		if p.values[c.Caller]/100 != p.values[c.Callee]/100 {
			t.Fatalf("local call %s -> %s leaves its hundred", caller.Number, callee.Number)
		}
		if caller.Media != c.Media || callee.Media != c.Media {
			t.Fatalf("call %+v between media %v and %v phones", c, caller.Media, callee.Media)
		}
		if c.Media {
			mediaCalls++
		}
	}
	if r := float64(mediaCalls) / float64(len(calls)); r < 0.08 || r > 0.12 {
		t.Errorf("media on %.3f of the calls, want about 0.1", r)
	}
	// the behaviour mix holds in each subset
	for _, m := range []bool{true, false} {
		counts := map[Behaviour]int{}
		for _, ph := range p.Phones {
			if ph.Media == m {
				counts[ph.Behaviour]++
			}
		}
		total := counts[CalleeAnswer] + counts[CalleeBusy] + counts[CalleeNoAnswer] + counts[CalleeReject]
		if counts[CalleeAnswer]*100 != 80*total || counts[CalleeBusy]*100 != 10*total {
			t.Errorf("media %v: behaviours %v", m, counts)
		}
	}
}

func TestPlanRemotePattern(t *testing.T) {
	sc := mustParse(t, `name: east
population: {count: 3, first: "1000", password: "pw{n}"}
behaviours: {answer: 100}
calls: {rate: 10, hold: 1s, duration: 10s, remote: {first: "2000", count: 4}}
`)
	for _, c := range NewPlan(sc, 1).Take(100) {
		if c.Callee != -1 || c.Number < "2000" || c.Number > "2003" || c.Caller < 0 || c.Caller > 2 {
			t.Fatalf("remote call %+v", c)
		}
	}
}

func TestPlanShapes(t *testing.T) {
	base := `name: shape
population: {count: 10, first: "1000", password: "pw{n}"}
behaviours: {answer: 100}
calls: {hold: 1s, duration: 100s, max_concurrent: 1000, %s}
`
	count := func(calls []PlannedCall, from, to time.Duration) int {
		n := 0
		for _, c := range calls {
			if c.At >= from && c.At < to {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name  string
		calls string
		total int
		check func([]PlannedCall) bool
	}{
		{"steady", "rate: 10", 1000, func(c []PlannedCall) bool { return count(c, 0, 10*time.Second) == 100 }},
		// 0→20/s over 100s: 1000 calls, a quarter in the first half
		{"ramp", "shape: ramp, ramp: {from: 0, to: 20}", 1000, func(c []PlannedCall) bool {
			return absInt(count(c, 0, 50*time.Second)-250) <= 1
		}},
		// 2/s with 50/s from 40s for 10s: 180 + 500
		{"spike", "rate: 2, shape: spike, spike: {peak: 50, at: 40s, length: 10s}", 680, func(c []PlannedCall) bool {
			return absInt(count(c, 40*time.Second, 50*time.Second)-500) <= 1 && absInt(count(c, 0, 40*time.Second)-80) <= 1
		}},
		// warm-up 0→10/s over 20s (100 calls), then 80s at 10/s
		{"soak", "rate: 10, shape: soak, soak: {warmup: 20s}", 900, func(c []PlannedCall) bool {
			return absInt(count(c, 0, 20*time.Second)-100) <= 1
		}},
	}
	for _, tc := range tests {
		sc := mustParse(t, strings.Replace(base, "%s", tc.calls, 1))
		calls := NewPlan(sc, 1).Take(1 << 20)
		if absInt(len(calls)-tc.total) > 1 || !tc.check(calls) {
			t.Errorf("%s: %d calls (want %d), first %v last %v", tc.name, len(calls), tc.total, calls[0].At, calls[len(calls)-1].At)
		}
		if n := expectedCalls(sc.Calls); math.Abs(n-float64(tc.total)) > 0.5 {
			t.Errorf("%s: expected calls %v, want %d", tc.name, n, tc.total)
		}
		for i := 1; i < len(calls); i++ {
			if calls[i].At < calls[i-1].At || calls[i].At >= 100*time.Second {
				t.Fatalf("%s: call %d at %s after %s", tc.name, i, calls[i].At, calls[i-1].At)
			}
		}
	}
}

func absInt(n int) int { return max(n, -n) }

func TestAssignBehavioursFollowsTheMix(t *testing.T) {
	tests := []struct {
		n                                int
		mix                              Behaviours
		answer, busy, noAnswer, rejected int
	}{
		{6, Behaviours{Answer: 50, Busy: 17, NoAnswer: 17, Reject: 16}, 3, 1, 1, 1},
		{50, Behaviours{Answer: 80, Busy: 10, NoAnswer: 5, Reject: 5}, 40, 5, 3, 2},
		{3, Behaviours{Answer: 100}, 3, 0, 0, 0},
	}
	for _, tc := range tests {
		got := map[Behaviour]int{}
		for _, b := range assignBehaviours(tc.n, tc.mix, NewRNG(1, 0)) {
			got[b]++
		}
		total := got[CalleeAnswer] + got[CalleeBusy] + got[CalleeNoAnswer] + got[CalleeReject]
		if total != tc.n || got[CalleeAnswer] != tc.answer || got[CalleeBusy] != tc.busy {
			t.Errorf("n=%d mix %+v: got %v", tc.n, tc.mix, got)
		}
		if tc.noAnswer+tc.rejected != got[CalleeNoAnswer]+got[CalleeReject] {
			t.Errorf("n=%d mix %+v: got %v", tc.n, tc.mix, got)
		}
	}
}

// BenchmarkPlan measures drawing the busy-hour plan's calls (Poisson,
// exponential holds, local callees, media share): the scheduler's cost
// per call.
func BenchmarkPlan(b *testing.B) {
	doc := strings.Replace(busyHour, "bhca: 3.6", "bhca: 3600", 1) // 1000 calls/s for an hour
	sc, err := Parse("bench.yaml", []byte(doc))
	if err != nil {
		b.Fatal(err)
	}
	p := NewPlan(sc, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Next(); !ok {
			p = NewPlan(sc, 1)
		}
	}
}

package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const valid = `name: basic-calls
population: {count: 50, first: "1000", password: "demo{n}", register_expires: 3600s, transport: udp}
behaviours: {answer: 80, busy: 10, no_answer: 5, reject: 5}
answer_delay: 1s
calls: {rate: 5, hold: 3s, duration: 20s, max_concurrent: 100}
audio: {verify: true}
seed: 1
`

func TestEveryScenarioFileIsValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yml, _ := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.yml"))
	files = append(files, yml...)
	if len(files) < 4 {
		t.Fatalf("found %d scenario files, want at least demo, smoke, registration-storm, load", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if sc.Name == "" || len(sc.Population.Numbers()) != sc.Population.Count {
				t.Fatalf("loaded scenario incomplete: %+v", sc)
			}
		})
	}
}

func TestDemoScenarioMatchesTheDemo(t *testing.T) {
	sc, err := Load(filepath.Join("..", "..", "scenarios", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	nums := sc.Population.Numbers()
	if len(nums) != 50 || nums[0] != "1000" || nums[49] != "1049" {
		t.Fatalf("demo numbers = %v..%v (%d)", nums[0], nums[len(nums)-1], len(nums))
	}
	if got := sc.Population.PasswordFor("1007"); got != "demo1007" {
		t.Fatalf("password for 1007 = %q", got)
	}
	if l := sc.RunLength(); l < 15*time.Second || l > 25*time.Second {
		t.Fatalf("demo run length %s, want about 20s", l)
	}
}

// TestBusyHourScenario: scenarios/busy-hour.yaml is the call model the
// README promises: 1 call/s from BHCA, Poisson, exponential holds of mean
// 90s, local callees, media on a tenth of the calls, four thresholds.
func TestBusyHourScenario(t *testing.T) {
	sc, err := Load(filepath.Join("..", "..", "scenarios", "busy-hour.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Calls
	if c.Rate != 1 || c.Arrivals != ArrivalsPoisson || c.HoldDist.Kind != HoldExponential || c.HoldDist.Mean != 90*time.Second ||
		c.Pattern != PatternLocal || sc.Audio.MediaShare() != 0.1 || len(sc.Checks) != 4 {
		t.Fatalf("busy-hour: calls %+v, share %v, %d thresholds", c, sc.Audio.MediaShare(), len(sc.Checks))
	}
	if l := sc.RunLength(); l != 70*time.Minute+2*time.Second {
		t.Fatalf("run length %s, want the hour, the answer delay and the longest hold (10m)", l)
	}
}

func TestParseValidAppliesDefaults(t *testing.T) {
	sc, err := Parse("basic.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	want := Scenario{
		Name: "basic-calls",
		Population: Population{Count: 50, First: "1000", Password: "demo{n}", RegisterExpires: time.Hour, Transport: "udp", RegisterConcurrency: DefaultRegisterConcurrency,
			FirstRefresh: DefaultFirstRefresh[:], SocketsPerAddr: 1},
		Behaviours:  Behaviours{Answer: 80, Busy: 10, NoAnswer: 5, Reject: 5},
		AnswerDelay: time.Second,
		Calls: Calls{Rate: 5, Hold: 3 * time.Second, Duration: 20 * time.Second, MaxConcurrent: 100, RingTimeout: DefaultRingTimeout,
			Arrivals: ArrivalsUniform, HoldDist: HoldDist{Kind: HoldFixed, Mean: 3 * time.Second}, Pattern: PatternRandom, Shape: ShapeSteady},
		Audio: Audio{Verify: true},
		Seed:  1,
		File:  "basic.yaml",
	}
	if !reflect.DeepEqual(*sc, want) {
		t.Fatalf("got  %+v\nwant %+v", *sc, want)
	}
}

func TestNumbersKeepWidth(t *testing.T) {
	p := Population{Count: 3, First: "0098"}
	got := strings.Join(p.Numbers(), ",")
	if got != "0098,0099,0100" {
		t.Fatalf("Numbers = %s", got)
	}
}

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		line  int
		field string
		msg   string
	}{
		{"unknown top-level field", valid + "colour: blue\n", 8, "colour", "unknown field"},
		{"unknown nested field", strings.Replace(valid, "transport: udp", "transprt: udp", 1), 2, "population.transprt", "unknown field"},
		{"bad duration", strings.Replace(valid, "answer_delay: 1s", "answer_delay: soon", 1), 4, "answer_delay", "time.Duration"},
		{"duration without unit", strings.Replace(valid, "hold: 3s", "hold: 3", 1), 5, "calls.hold", "time.Duration"},
		{"behaviours do not sum to 100", strings.Replace(valid, "busy: 10", "busy: 20", 1), 3, "behaviours", "sum to 100, got 110"},
		{"negative percentage", strings.Replace(valid, "answer: 80, busy: 10", "answer: 110, busy: -20", 1), 3, "behaviours.answer", "0..100"},
		{"bad transport", strings.Replace(valid, "transport: udp", "transport: sctp", 1), 2, "population.transport", "udp or tcp"},
		{"first not a number", strings.Replace(valid, `first: "1000"`, `first: "10a0"`, 1), 2, "population.first", "decimal digits"},
		{"zero count", strings.Replace(valid, "count: 50", "count: 0", 1), 2, "population.count", "at least 1"},
		{"missing name", strings.Replace(valid, "name: basic-calls\n", "", 1), 1, "name", "required"},
		{"rate without hold", strings.Replace(valid, "hold: 3s, ", "", 1), 5, "calls.hold", "positive"},
		{"negative rate", strings.Replace(valid, "rate: 5", "rate: -1", 1), 5, "calls.rate", "0 or more"},
		{"string where number", strings.Replace(valid, "seed: 1", "seed: many", 1), 7, "seed", "cannot unmarshal"},
		{"syntax error", valid + "calls: [\n", 0, "", ""},
		{"not a mapping", "- a\n- b\n", 1, "", "mapping"},
		{"empty", "", 1, "", "empty"},
		{"two documents", valid + "---\nname: x\n", 8, "", "more than one"},
		{"threshold on unknown metric", valid + "thresholds:\n  - \"failures == 0\"\n  - \"latency < 1s\"\n", 10, "thresholds[1]", "unknown metric"},
		{"threshold bad syntax", valid + "thresholds: [\"setup_p99 200ms\"]\n", 8, "thresholds[0]", "syntax"},
		{"first refresh out of range", strings.Replace(valid, "transport: udp", "transport: udp, first_refresh: [0.5, 1.2]", 1), 2, "population.first_refresh", "0 < from <= to < 1"},
		{"first refresh reversed", strings.Replace(valid, "transport: udp", "transport: udp, first_refresh: [0.8, 0.6]", 1), 2, "population.first_refresh", "0 < from <= to < 1"},
		{"first refresh not a number", strings.Replace(valid, "transport: udp", "transport: udp, first_refresh: [.nan, .nan]", 1), 2, "population.first_refresh", "0 < from <= to < 1"},
		{"local addr not an IP", strings.Replace(valid, "transport: udp", "transport: udp, local_addrs: [127.0.0.1, localhost]", 1), 2, "population.local_addrs[1]", "concrete IP"},
		{"local addr unspecified", strings.Replace(valid, "transport: udp", "transport: udp, local_addrs: [0.0.0.0]", 1), 2, "population.local_addrs[0]", "concrete IP"},
		{"sockets per addr", strings.Replace(valid, "transport: udp", "transport: udp, sockets_per_addr: 65", 1), 2, "population.sockets_per_addr", "1..64"},
		{"threshold without unit", valid + "thresholds: [\"setup_p99 < 200\"]\n", 8, "thresholds[0]", "duration with a unit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatal("Parse accepted an invalid scenario")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.File != "x.yaml" {
				t.Fatalf("file = %q", e.File)
			}
			if tc.line > 0 && e.Line != tc.line {
				t.Fatalf("line = %d, want %d (%v)", e.Line, tc.line, err)
			}
			if tc.line == 0 && e.Line == 0 {
				t.Fatalf("no line in %v", err)
			}
			if e.Field != tc.field {
				t.Fatalf("field = %q, want %q (%v)", e.Field, tc.field, err)
			}
			if !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("message %q does not mention %q", e.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "x.yaml:") {
				t.Fatalf("error text %q does not start with file:line", err.Error())
			}
		})
	}
}

func TestParseReportsEveryViolation(t *testing.T) {
	doc := strings.Replace(strings.Replace(valid, "count: 50", "count: -1", 1), "rate: 5", "rate: -5", 1)
	_, err := Parse("x.yaml", []byte(doc))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"x.yaml:2: population.count", "x.yaml:5: calls.rate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
	if errors.Is(err, ErrInvalid) {
		t.Fatal("an I/O error must not match ErrInvalid")
	}
}

func TestLoadNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte(valid+"bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":8: bogus") {
		t.Fatalf("err = %v", err)
	}
}

func TestParsePopulationSpreadAndAddrs(t *testing.T) {
	doc := strings.Replace(valid, "transport: udp", `transport: udp, register: false, first_refresh: [0.6, 0.7],
  local_addrs: [127.0.0.1, 127.0.0.2, "::1"], sockets_per_addr: 4`, 1)
	sc, err := Parse("x.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Population
	if p.Registers() || !reflect.DeepEqual(p.FirstRefresh, []float64{0.6, 0.7}) || len(p.LocalAddrs) != 3 || p.SocketsPerAddr != 4 {
		t.Fatalf("population %+v", p)
	}
	if !(Population{}).Registers() {
		t.Fatal("a population registers by default")
	}
}

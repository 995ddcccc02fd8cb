package scenario

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// journeyBase is a valid scenario whose calls take the journey appended
// after it (lines 9 on: "  journey:" is line 8).
const journeyBase = `name: journeys
population: {count: 10, first: "1000", password: "demo{n}"}
behaviours: {answer: 100}
calls:
  rate: 2
  hold: 2s
  duration: 10s
  journey:
`

func TestParseJourney(t *testing.T) {
	sc, err := Parse("j.yaml", []byte(journeyBase+`    - dtmf: "1#"
    - wait: 2s
    - hold: 5s
    - conference: "800"
    - transfer: {to: "1003", kind: Attended}
  journey_share: 0.5
  ring_timeout: 1s
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{Kind: StepDTMF, Digits: "1#"},
		{Kind: StepWait, Duration: 2 * time.Second},
		{Kind: StepHold, Duration: 5 * time.Second},
		{Kind: StepConference, To: "800"},
		{Kind: StepTransfer, To: "1003", TransferKind: TransferAttended},
	}
	got := sc.Calls.Journey
	if len(got) != len(want) {
		t.Fatalf("journey %+v", got)
	}
	for i := range want {
		g := got[i]
		g.line = 0
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("step %d = %+v, want %+v", i, g, want[i])
		}
	}
	if f := sc.Calls.JourneyFraction(); f != 0.5 {
		t.Errorf("journey share %v", f)
	}
	if names := []string{got[0].String(), got[2].String(), got[4].String()}; strings.Join(names, "|") != "dtmf 1#|hold 5s|transfer attended 1003" {
		t.Errorf("names %q", names)
	}
	// the journey's waits and holds lengthen the run
	if l := sc.RunLength(); l != 10*time.Second+2*time.Second+7*time.Second {
		t.Errorf("run length %s", l)
	}

	sc, err = Parse("j.yaml", []byte(journeyBase+"    - transfer: {}\n    - hangup\n"))
	if err == nil || !strings.Contains(err.Error(), "calls.journey[0].transfer: must be the journey's last step") {
		t.Fatalf("transfer before hangup: %v", err)
	}
	sc, err = Parse("j.yaml", []byte(journeyBase+"    - {by: Callee, dtmf: \"5\"}\n    - {hold: 1s, by: caller}\n"))
	if err != nil || sc.Calls.Journey[0].By != ByCallee || sc.Calls.Journey[0].String() != "dtmf 5 by callee" || sc.Calls.Journey[1].String() != "hold 1s" {
		t.Fatalf("by: %v %+v", err, sc)
	}
	remote := strings.Replace(journeyBase, "  journey:", "  remote: {first: \"500\", count: 1}\n  journey:", 1)
	if _, err = Parse("j.yaml", []byte(remote+"    - {dtmf: \"5\", by: callee}\n")); err == nil || !strings.Contains(err.Error(), "calls.journey[0].by: callee needs a callee of the population") {
		t.Fatalf("by callee on remote calls: %v", err)
	}
	sc, err = Parse("j.yaml", []byte(journeyBase+"    - HANGUP\n"))
	if err != nil || sc.Calls.Journey[0].Kind != StepHangup || sc.Calls.JourneyFraction() != 1 {
		t.Fatalf("bare hangup: %v %+v", err, sc)
	}
}

func TestJourneyErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name, steps string
		line        int
		field, msg  string
	}{
		{"unknown kind", "    - dtmf: \"1\"\n    - jump: 3\n", 10, "calls.journey[1].jump", "unknown step kind"},
		{"unknown bare word", "    - park\n", 9, "calls.journey[0]", "hangup or a mapping"},
		{"two kinds in a step", "    - {dtmf: \"1\", wait: 1s}\n", 9, "calls.journey[0]", "exactly one kind"},
		{"a list as a step", "    - [1, 2]\n", 9, "calls.journey[0]", "hangup or a mapping"},
		{"hangup with an argument", "    - hangup: now\n", 9, "calls.journey[0].hangup", "no argument"},
		{"bad digits", "    - dtmf: \"12x\"\n", 9, "calls.journey[0].dtmf", "0-9 * # A-D"},
		{"empty digits", "    - dtmf: \"\"\n", 9, "calls.journey[0].dtmf", "0-9 * # A-D"},
		{"wait not a duration", "    - wait: soon\n", 9, "calls.journey[0].wait", "time.Duration"},
		{"negative hold", "    - hold: -1s\n", 9, "calls.journey[0].hold", "duration in (0, 1h0m0s]"},
		{"zero wait", "    - wait: 0s\n", 9, "calls.journey[0].wait", "duration in"},
		{"transfer unknown field", "    - transfer: {to: \"1003\", knd: blind}\n", 9, "calls.journey[0].transfer.knd", "unknown field"},
		{"transfer kind unknown", "    - transfer: {to: \"1003\", kind: warm}\n", 9, "calls.journey[0].transfer.kind", "must be blind or attended"},
		{"transfer bad number", "    - transfer: {to: \"10a3\"}\n", 9, "calls.journey[0].transfer.to", "decimal digits"},
		{"transfer not a mapping", "    - transfer: \"1003\"\n", 9, "calls.journey[0].transfer", "must be a mapping"},
		{"conference without number", "    - conference: \"\"\n", 9, "calls.journey[0].conference", "required"},
		{"hangup not last", "    - hangup\n    - wait: 1s\n", 9, "calls.journey[0].hangup", "last step"},
		{"by someone else", "    - {hold: 1s, by: boss}\n", 9, "calls.journey[0].by", "caller or callee"},
		{"by with two kinds", "    - {hold: 1s, wait: 1s, by: callee}\n", 9, "calls.journey[0]", "exactly one kind"},
		{"share out of range", "    - hangup\n  journey_share: 1.5\n", 10, "calls.journey_share", "0..1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("j.yaml", []byte(journeyBase+tc.steps))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.File != "j.yaml" || e.Line != tc.line || e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("error %q: want j.yaml:%d: %s: ...%s...", err, tc.line, tc.field, tc.msg)
			}
		})
	}
	// journey_share without a journey; a drawn target needs answering phones
	for doc, want := range map[string]string{
		strings.TrimSuffix(journeyBase, "  journey:\n") + "  journey_share: 0.5\n":                      "j.yaml:8: calls.journey_share: only with calls.journey",
		strings.Replace(journeyBase, "answer: 100", "busy: 100", 1) + "    - transfer: {kind: blind}\n": "j.yaml:9: calls.journey[0].transfer.to: left out",
	} {
		if _, err := Parse("j.yaml", []byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
}

// TestJourneyPlanIsSeeded: the same seed draws the same calls with the
// same journeys (share and transfer targets); a transfer's drawn target
// answers and is neither the caller nor the callee; a journey does not
// move the rest of the plan.
func TestJourneyPlanIsSeeded(t *testing.T) {
	doc := strings.Replace(journeyBase, "answer: 100", "answer: 60, busy: 40", 1) +
		"    - dtmf: \"5\"\n    - transfer: {kind: blind}\n  journey_share: 0.5\nseed: 42\n"
	sc, err := Parse("j.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewPlan(sc, sc.Seed).Take(20), NewPlan(sc, sc.Seed).Take(20)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different plans")
	}
	plan := NewPlan(sc, sc.Seed)
	with := 0
	for _, c := range a {
		if c.Journey == nil {
			continue
		}
		with++
		to := c.Journey[1].To
		i := strings.Index(strings.Join(sc.Population.Numbers(), ","), to)
		if to == "" || to == c.Number || to == plan.Phones[c.Caller].Number || i < 0 {
			t.Errorf("call %d: transfer target %q (caller %s, callee %s)", c.Seq, to, plan.Phones[c.Caller].Number, c.Number)
			continue
		}
		for _, p := range plan.Phones {
			if p.Number == to && p.Behaviour != CalleeAnswer {
				t.Errorf("call %d: transfer target %s does not answer (%s)", c.Seq, to, p.Behaviour)
			}
		}
	}
	if with < 4 || with > 16 {
		t.Errorf("%d of 20 calls run the journey, want about half", with)
	}
	// without the journey, the same calls otherwise
	plain, err := Parse("j.yaml", []byte(strings.TrimSuffix(journeyBase, "  journey:\n")+"seed: 42\n"))
	if err != nil {
		t.Fatal(err)
	}
	plain.Behaviours = sc.Behaviours
	for i, c := range NewPlan(plain, 42).Take(20) {
		c.Journey = a[i].Journey
		if !reflect.DeepEqual(c, a[i]) {
			t.Fatalf("call %d moved by the journey: %+v vs %+v", i, c, a[i])
		}
	}
}

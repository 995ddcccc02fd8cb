package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTrunkCalls(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCollector("office-trunk", "127.0.0.1:5060", start)
	c.TrunkCall("telco", false, CallOutcome{Code: 200, Setup: time.Second, Expected: true})
	c.TrunkCall("telco", false, CallOutcome{Code: 500, Expected: false})
	c.TrunkCall("telco", true, CallOutcome{Code: 486, Expected: true})
	c.TrunkCall("backup", true, CallOutcome{Code: 200, Expected: true})
	r := c.Report(start.Add(time.Minute))
	want := map[string]Trunk{
		"telco":  {Out: TrunkCalls{Attempted: 2, Answered: 1, Unexpected: 1}, In: TrunkCalls{Attempted: 1}},
		"backup": {In: TrunkCalls{Attempted: 1, Answered: 1}},
	}
	for name, w := range want {
		if r.Trunks[name] != w {
			t.Errorf("trunk %s = %+v, want %+v", name, r.Trunks[name], w)
		}
	}
	if r.Calls.Attempted != 4 || r.Calls.Answered != 2 || r.Calls.Unexpected != 1 {
		t.Errorf("calls %+v: trunk calls count in the run's calls too", r.Calls)
	}
	// The snapshot is a copy.
	c.TrunkCall("telco", true, CallOutcome{Code: 200, Expected: true})
	if r.Trunks["telco"].In.Attempted != 1 {
		t.Error("a later call changed an earlier report")
	}
	var text strings.Builder
	if err := r.Text(&text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	var trunkLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "  trunk ") {
			trunkLines = append(trunkLines, l)
		}
	}
	if len(trunkLines) != 2 || !strings.Contains(trunkLines[0], "backup") ||
		!strings.Contains(trunkLines[1], "telco    out 2 answered 1 unexpected 1  in 1 answered 0 unexpected 0") {
		t.Errorf("trunk lines %q", trunkLines)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"trunks":{"backup":{"out":{"attempted":0`) {
		t.Errorf("json %s %v", b, err)
	}
}

func TestNoTrunksNoLine(t *testing.T) {
	c := NewCollector("s", "", time.Now())
	r := c.Report(time.Now())
	var text strings.Builder
	_ = r.Text(&text)
	b, _ := json.Marshal(r)
	if strings.Contains(text.String(), "trunk") || strings.Contains(string(b), "trunks") {
		t.Errorf("a run without carriers mentions trunks: %s %s", text.String(), b)
	}
}

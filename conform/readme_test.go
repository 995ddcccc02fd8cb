package conform

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMETableIsCurrent: the README's table is the one the committed
// results give (scripts/conform-table.sh regenerates both).
func TestREADMETableIsCurrent(t *testing.T) {
	var results []Results
	for _, name := range []string{"pbxlab", "kamailio"} {
		r, err := ReadResults(filepath.Join("results", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if passed, ran := r.Counts(); ran == 0 || passed == 0 {
			t.Errorf("%s: %d of %d passed", name, passed, ran)
		}
		results = append(results, r)
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	updated, err := UpdateREADME(readme, Table(results...))
	if err != nil {
		t.Fatal(err)
	}
	if string(updated) != string(readme) {
		t.Error("README.md's conform table is not the one conform/results/*.json give: run scripts/conform-table.sh (or go run ./internal/tools/conformtable README.md conform/results/pbxlab.json conform/results/kamailio.json)")
	}
}

func TestTableAndUpdateREADME(t *testing.T) {
	a := Results{Target: "a", Kind: "pbx", Transport: "udp", Scenarios: []ScenarioOutcome{
		{ID: "x / one", Feature: "X", Scenario: "one | pipe", Status: ResultPassed, MustRun: true},
		{ID: "x / two", Feature: "X", Scenario: "two", Status: ResultFailed},
		{ID: "x / three", Feature: "X", Scenario: "three", Status: ResultNA, Reason: "the profile does not offer @cap-forking, @cap-nat"},
	}}
	b := Results{Target: "b", Kind: "proxy-registrar", Transport: "tcp", Scenarios: []ScenarioOutcome{
		{ID: "x / one", Feature: "X", Scenario: "one | pipe", Status: ResultNotRun},
		{ID: "x / four", Feature: "X", Scenario: "four", Status: ResultNA, Reason: "changes the target's configuration (@in-process): runs only in-process"},
	}}
	got := Table(a, b)
	for _, want := range []string{
		"| feature / scenario | a (`pbx`, udp) | b (`proxy-registrar`, tcp) |",
		`| X / one \| pipe | passed ★ | **not run** |`,
		"| X / two | **FAILED** | – |",
		"| X / three | n/a: no `cap-forking`, `cap-nat` | – |",
		"| X / four | – | n/a: in-process only |",
		"| **passed / run** | **1 / 2** | **0 / 1** |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	doc := []byte("intro\n" + TableBegin + "\nold\n" + TableEnd + "\nrest\n")
	up, err := UpdateREADME(doc, "NEW\n")
	if err != nil || string(up) != "intro\n"+TableBegin+"\nNEW\n"+TableEnd+"\nrest\n" {
		t.Errorf("UpdateREADME: %v\n%s", err, up)
	}
	if _, err := UpdateREADME([]byte("no markers"), "x"); !errors.Is(err, ErrNoMarkers) {
		t.Errorf("no markers: %v", err)
	}
}

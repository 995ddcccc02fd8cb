package numbering

import (
	"fmt"
	"testing"
)

// BenchmarkAnalyseAndSubstitute: number analysis and both substitution
// stages with 100,000 subscribers and 10,000 rules (issue 10's figure):
// ns/op and allocations per call.
func BenchmarkAnalyseAndSubstitute(b *testing.B) {
	entries := make([]Entry, 0, 100_000)
	for i := range 100_000 {
		entries = append(entries, Entry{Prefix: fmt.Sprintf("6%06d", i), MinLen: 7, MaxLen: 7, Kind: Subscriber})
	}
	var bindings []Binding
	rules := make([]Rule, 0, 100)
	for i := range 100 {
		rules = append(rules, Rule{Which: Called, Prefix: fmt.Sprintf("9%02d", i), Strip: 1})
	}
	tables := []Table{{Name: "out", Rules: rules}}
	for i := range 9_900 {
		bindings = append(bindings, Binding{Scope: ScopeCallingNumber, Key: fmt.Sprintf("6%06d", i*10), Rules: []Rule{{Which: Calling, Prefix: "6", MinLen: 7, Prepend: "010"}}})
	}
	bindings = append(bindings, Binding{Scope: ScopeGlobal, Tables: []string{"out"}})
	p, err := NewPlan(Config{Home: beijing, NationalPrefix: "0", InternationalPrefix: "00", Entries: entries, Rules: bindings, Tables: tables})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		calling, called := fmt.Sprintf("6%06d", (i*10)%99_000), fmt.Sprintf("6%06d", (i*7919)%100_000)
		i++
		c, _ := p.Substitute(Call{Calling: calling, Called: called, CallerInDomain: true}, Before)
		r, err := p.Analyse("", beijing, c.Called)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = p.Substitute(Call{Calling: c.Calling, Called: c.Called, CallerInDomain: true, CallerAt: beijing, CalleeAt: r.At.Location, CalledLocal: r.Called}, After)
	}
}

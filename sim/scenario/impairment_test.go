package scenario

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// withImpairment is the valid scenario with an impairment section added to
// its population (flow style, on line 2).
func withImpairment(section string) string {
	return strings.Replace(valid, "transport: udp}", "transport: udp, impairment: "+section+"}", 1)
}

func TestImpairmentParses(t *testing.T) {
	for _, tc := range []struct {
		name, section string
		want          Impairment
	}{
		{"numbers", `{loss: 2, delay: 40ms, jitter: 10ms, duplicate: 0.5, reorder: 1, reorder_gap: 5ms}`,
			Impairment{Loss: 2, Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, Duplicate: 0.5, Reorder: 1, ReorderGap: 5 * time.Millisecond}},
		{"percent signs", `{loss: "2.5%", duplicate: "1 %"}`, Impairment{Loss: 2.5, Duplicate: 1}},
		{"nat", `{nat: {rebind_after: 10m, binding_timeout: 30s}}`,
			Impairment{NAT: ImpairmentNAT{RebindAfter: 10 * time.Minute, BindingTimeout: 30 * time.Second}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := Parse("i.yaml", []byte(withImpairment(tc.section)))
			if err != nil {
				t.Fatal(err)
			}
			if sc.Population.Impairment != tc.want {
				t.Fatalf("impairment %+v, want %+v", sc.Population.Impairment, tc.want)
			}
		})
	}
	sc, err := Parse("i.yaml", []byte(valid))
	if err != nil || !sc.Population.Impairment.IsZero() {
		t.Fatalf("no impairment section: %+v, %v; want none", sc.Population.Impairment, err)
	}
}

func TestImpairmentErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, field string
	}{
		{"loss over 100", withImpairment(`{loss: 120}`), "population.impairment.loss"},
		{"negative duplicate", withImpairment(`{duplicate: -1}`), "population.impairment.duplicate"},
		{"not a percentage", withImpairment(`{reorder: lots}`), "population.impairment.reorder"},
		{"negative delay", withImpairment(`{delay: -5ms}`), "population.impairment.delay"},
		{"negative nat timeout", withImpairment(`{nat: {binding_timeout: -1s}}`), "population.impairment.nat.binding_timeout"},
		{"unknown field", withImpairment(`{drop: 2}`), "population.impairment.drop"},
		{"tcp", strings.Replace(withImpairment(`{loss: 1}`), "transport: udp", "transport: tcp", 1), "population.impairment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("i.yaml", []byte(tc.yaml))
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, want an *Error", err)
			}
			if e.Field != tc.field || e.Line != 2 {
				t.Fatalf("error %v names %s at line %d, want %s at line 2", err, e.Field, e.Line, tc.field)
			}
		})
	}
}

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
		{"media only", `{loss: 5, applies_to: [media]}`, Impairment{Loss: 5, AppliesTo: PathMedia}},
		{"both", `{loss: 5, applies_to: [signalling, media]}`, Impairment{Loss: 5, AppliesTo: PathSignalling | PathMedia}},
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
		{"tcp duplicate", strings.Replace(withImpairment(`{loss: 1, duplicate: 1}`), "transport: udp", "transport: tcp", 1), "population.impairment.duplicate"},
		{"tcp reorder", strings.Replace(withImpairment(`{reorder: 1}`), "transport: udp", "transport: tcp", 1), "population.impairment.reorder"},
		{"tcp rebind", strings.Replace(withImpairment(`{nat: {rebind_after: 1m}}`), "transport: udp", "transport: tcp", 1), "population.impairment.nat.rebind_after"},
		{"applies_to unknown", withImpairment(`{loss: 1, applies_to: [rtp]}`), "population.impairment.applies_to[0]"},
		{"applies_to empty", withImpairment(`{loss: 1, applies_to: []}`), "population.impairment.applies_to"},
		{"applies_to scalar", withImpairment(`{loss: 1, applies_to: media}`), "population.impairment.applies_to"},
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

// TestImpairmentTCP: on tcp, loss, delay, jitter and the NAT's binding
// timeout are valid (a stream turns loss into delay); duplication and
// reordering are too when they apply to the media only.
func TestImpairmentTCP(t *testing.T) {
	for _, section := range []string{
		`{loss: 2, delay: 40ms, jitter: 10ms, nat: {binding_timeout: 30s}}`,
		`{loss: 2, duplicate: 1, reorder: 5, applies_to: [media]}`,
	} {
		y := strings.Replace(withImpairment(section), "transport: udp", "transport: tcp", 1)
		sc, err := Parse("i.yaml", []byte(y))
		if err != nil {
			t.Fatalf("%s: %v", section, err)
		}
		if im := sc.Population.Impairment; im.Loss != 2 || !im.Media() {
			t.Fatalf("%s: %+v", section, im)
		}
	}
}

func TestImpairmentPaths(t *testing.T) {
	for _, tc := range []struct {
		im                Impairment
		signalling, media bool
	}{
		{Impairment{}, false, false},
		{Impairment{Loss: 1}, true, true},
		{Impairment{Loss: 1, AppliesTo: PathMedia}, false, true},
		{Impairment{Loss: 1, AppliesTo: PathSignalling}, true, false},
		{Impairment{NAT: ImpairmentNAT{BindingTimeout: time.Second}}, true, false}, // the NAT is signalling's
	} {
		if tc.im.Signalling() != tc.signalling || tc.im.Media() != tc.media {
			t.Errorf("%+v: signalling %v media %v, want %v %v", tc.im, tc.im.Signalling(), tc.im.Media(), tc.signalling, tc.media)
		}
	}
}

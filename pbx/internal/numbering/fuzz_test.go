package numbering

import (
	"errors"
	"strings"
	"testing"
)

// FuzzAnalyse: any dialled string (a Request-URI user part, from the
// network) is analysed and substituted without a panic, and an answer is
// either a result or one of the package's errors.
func FuzzAnalyse(f *testing.F) {
	p := testPlan(f)
	for _, s := range []string{"5550001", "0105550001", "0086105550001", "", "0", "00", "*89*1#", "9001234", "555", "\xff\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		r, err := p.Analyse("", beijing, dialled)
		if err != nil && !errors.Is(err, ErrVacant) && !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrBarred) {
			t.Fatalf("Analyse(%q): unexpected error %v", dialled, err)
		}
		if err == nil && !strings.HasSuffix(dialled, r.Called) {
			t.Fatalf("Analyse(%q): called %q is not the end of the dialled number", dialled, r.Called)
		}
		c, _ := p.Substitute(Call{Calling: dialled, Called: dialled, CallerInDomain: true, CallerAt: beijing, CalleeAt: r.At.Location, CalledLocal: r.Called}, After)
		_ = c
	})
}

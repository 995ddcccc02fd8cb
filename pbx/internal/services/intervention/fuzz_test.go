package intervention

import (
	"strings"
	"testing"
)

// FuzzResolve: any dialled number resolves without panicking; an
// intervention names a target of digits that is a subscriber, not the
// caller.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"*89*1001#", "*89#", "*89*56781001%23", "*89*#", "%2A89%2A1001", "*89*1001*2#", ""} {
		f.Add(s)
	}
	s, err := New(Config{Right: []string{"1003"}}, func(n string) bool { return n == "1001" || n == "1003" }, pins{"5678": "1003"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		r, err := s.Resolve("1002", true, dialled)
		if err != nil || r.Op != Intervene {
			return
		}
		if r.Target != "1001" || strings.Trim(r.Target, "0123456789") != "" {
			t.Errorf("Resolve(%q) = %+v", dialled, r)
		}
	})
}

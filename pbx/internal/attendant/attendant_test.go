package attendant

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"pbxlab/pbx/internal/media/ivr"
)

func load(t *testing.T, yaml string) *ivr.Config {
	t.Helper()
	c, err := ivr.Load(strings.NewReader(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNumbers: the attendant answers the numbers of every IVR file and no
// other; two files claiming one number are refused.
func TestNumbers(t *testing.T) {
	a1 := load(t, "numbers: {\"500\": m, \"501\": m}\nmenus:\n  m: {prompt: goodbye}\n")
	a2 := load(t, "numbers: {\"600\": x}\nmenus:\n  x: {prompt: goodbye}\n")
	a, err := New([]*ivr.Config{a1, a2}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Numbers(); !slices.Equal(got, []string{"500", "501", "600"}) {
		t.Fatalf("numbers %v", got)
	}
	for _, n := range []string{"500", "501", "600"} {
		if !a.Has(n) || a.Service(n) == nil {
			t.Errorf("%s is no IVR number", n)
		}
	}
	if a.Has("1000") || a.Service("1000") != nil {
		t.Error("1000 is an IVR number")
	}
	if a.Active() != 0 {
		t.Errorf("%d calls in a menu", a.Active())
	}
	dup := load(t, "numbers: {\"501\": y}\nmenus:\n  y: {prompt: goodbye}\n")
	if _, err := New([]*ivr.Config{a1, dup}, nil, nil); !errors.Is(err, ErrDuplicateNumber) || !strings.Contains(err.Error(), "501") {
		t.Fatalf("duplicate number: %v", err)
	}
}

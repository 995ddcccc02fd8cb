package emergency

import "testing"

func TestList(t *testing.T) {
	l := New(Config{Numbers: DefaultNumbers()})
	for _, tc := range []struct {
		n    string
		want bool
	}{{"110", true}, {"112", true}, {"911", true}, {"1120", false}, {"11", false}, {"", false}} {
		if got := l.Is(tc.n); got != tc.want {
			t.Errorf("Is(%q) = %v, want %v", tc.n, got, tc.want)
		}
	}
	var none *List
	if none.Is("112") {
		t.Error("a nil list has emergency numbers")
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		numbers []string
		fields  []string
	}{
		{DefaultNumbers(), nil},
		{[]string{}, nil},
		{[]string{"112", "11a", "112", ""}, []string{"numbers[1]", "numbers[2]", "numbers[3]"}},
	} {
		ps := Config{Numbers: tc.numbers}.Check()
		if len(ps) != len(tc.fields) {
			t.Errorf("%v: %v, want problems at %v", tc.numbers, ps, tc.fields)
			continue
		}
		for i, p := range ps {
			if p.Field != tc.fields[i] {
				t.Errorf("%v: problem %d at %s, want %s", tc.numbers, i, p.Field, tc.fields[i])
			}
		}
	}
}

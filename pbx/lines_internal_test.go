package pbx

import "testing"

// TestLines: a number is in a call while any call it is in lasts; a
// number added twice to one call counts once.
func TestLines(t *testing.T) {
	var l lines
	steps := []struct {
		op, id, number string
		in             map[string]bool // after the step
	}{
		{"add", "a", "1001", map[string]bool{"1001": true, "1002": false}},
		{"add", "a", "1002", map[string]bool{"1001": true, "1002": true}},
		{"add", "a", "1002", map[string]bool{"1002": true}},
		{"add", "b", "1002", map[string]bool{"1002": true}},
		{"end", "a", "", map[string]bool{"1001": false, "1002": true}},
		{"end", "a", "", map[string]bool{"1002": true}},
		{"end", "b", "", map[string]bool{"1002": false}},
		{"add", "", "1003", map[string]bool{"1003": false}},
		{"add", "c", "", map[string]bool{"": false}},
		{"end", "unknown", "", map[string]bool{"1001": false}},
	}
	for i, st := range steps {
		if st.op == "add" {
			l.add(st.id, st.number)
		} else {
			l.end(st.id)
		}
		for n, want := range st.in {
			if got := l.InCall(n); got != want {
				t.Errorf("step %d (%s %s %s): InCall(%q) = %v, want %v", i, st.op, st.id, st.number, n, got, want)
			}
		}
	}
}

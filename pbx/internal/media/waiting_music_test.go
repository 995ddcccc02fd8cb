package media

import "testing"

// TestIsolate: an isolated endpoint is not relinked (a re-INVITE of a call
// whose leg a service took into a room); turned off, Link relays again.
func TestIsolate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		isoA, isoB bool
		linked     bool
	}{
		{"neither", false, false, true},
		{"a", true, false, false},
		{"b", false, true, false},
		{"both", true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.a.SetLeg(legMedia(r.pa.addr(), pcmu))
			r.b.SetLeg(legMedia(r.pb.addr(), pcmu))
			r.a.Isolate(tc.isoA)
			r.b.Isolate(tc.isoB)
			Link(r.a, r.b)
			if got := r.a.Peer() == r.b && r.b.Peer() == r.a; got != tc.linked {
				t.Errorf("linked %v, want %v", got, tc.linked)
			}
			r.a.Isolate(false)
			r.b.Isolate(false)
			Link(r.a, r.b)
			if r.a.Peer() != r.b || r.b.Peer() != r.a {
				t.Error("not linked once no longer isolated")
			}
		})
	}
}

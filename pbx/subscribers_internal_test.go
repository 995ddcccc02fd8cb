package pbx

import (
	"errors"
	"testing"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/directory"
	"pbxlab/pbx/internal/sipx"
)

// TestSuspendedSubscriberDecisions: which calls a suspension refuses, with
// which status: the suspended subscriber's own calls (403) and calls
// routed to it (480); not a trunk's or a trusted peer's caller that
// happens to use its number, not calls of or to anyone else.
func TestSuspendedSubscriberDecisions(t *testing.T) {
	dir, err := directory.New(t.Context(), []config.Subscriber{{Number: "1000"}, {Number: "1001"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.Suspend(t.Context(), "1000"); err != nil {
		t.Fatal(err)
	}
	s := &Server{dir: dir}
	for _, tc := range []struct {
		name   string
		caller call.Caller
		to     call.Decision
		code   int // 0: not refused
	}{
		{"suspended caller", call.Caller{Number: "1000"}, call.Decision{Kind: call.ToSubscriber, Callee: "1001"}, 403},
		{"suspended caller to a service", call.Caller{Number: "1000"}, call.Decision{Kind: call.ToService, Callee: "7000"}, 403},
		{"trunk caller with its number", call.Caller{Number: "1000", Peer: "carrier"}, call.Decision{Kind: call.ToSubscriber, Callee: "1001"}, 0},
		{"trusted caller with its number", call.Caller{Number: "1000", Trusted: true}, call.Decision{Kind: call.ToSubscriber, Callee: "1001"}, 0},
		{"to the suspended subscriber", call.Caller{Number: "1001"}, call.Decision{Kind: call.ToSubscriber, Callee: "1000"}, 480},
		{"trunk call to it", call.Caller{Number: "5550100", Peer: "carrier"}, call.Decision{Kind: call.ToSubscriber, Callee: "1000"}, 480},
		{"active to active", call.Caller{Number: "1001"}, call.Decision{Kind: call.ToSubscriber, Callee: "1001"}, 0},
		{"a refusal stays", call.Caller{Number: "1001"}, call.Decision{Kind: call.Reject, Callee: "1000", Err: sipx.ErrNotFound}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := call.Incoming{Caller: tc.caller}
			d, refused := s.suspendedCaller(in)
			if !refused {
				d, refused = s.suspendedCallee(tc.to)
			}
			if refused != (tc.code != 0) {
				t.Fatalf("refused %v, want code %d", refused, tc.code)
			}
			if !refused {
				return
			}
			code, _, _ := sipx.StatusOf(d.Err)
			if d.Kind != call.Reject || code != tc.code || !errors.Is(d.Err, ErrSuspended) {
				t.Errorf("decision %+v (code %d), want a %d refusal wrapping ErrSuspended", d, code, tc.code)
			}
		})
	}
}

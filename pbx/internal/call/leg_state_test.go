package call

import (
	"errors"
	"testing"
)

// TestLegTransitions walks every (state, event) pair: the listed ones move
// the leg as RFC 3261 says, every other pair is refused and leaves the
// state unchanged.
func TestLegTransitions(t *testing.T) {
	want := map[LegState]map[LegEvent]LegState{
		LegIdle: {EvInvite: LegTrying, EvEnd: LegTerminated},
		LegTrying: {
			EvTrying: LegTrying, EvEarly: LegEarly, EvAnswer: LegAnswered,
			EvReject: LegTerminated, EvCancel: LegTerminating, EvEnd: LegTerminated,
		},
		LegEarly: {
			EvTrying: LegEarly, EvEarly: LegEarly, EvAnswer: LegAnswered, EvReject: LegTerminated,
			EvCancel: LegTerminating, EvBye: LegTerminating, EvEnd: LegTerminated,
		},
		LegAnswered:  {EvAnswer: LegAnswered, EvAck: LegConfirmed, EvBye: LegTerminating, EvEnd: LegTerminated},
		LegConfirmed: {EvAnswer: LegConfirmed, EvAck: LegConfirmed, EvBye: LegTerminating, EvEnd: LegTerminated},
		LegTerminating: {
			EvTrying: LegTerminating, EvEarly: LegTerminating, EvAnswer: LegAnswered, EvReject: LegTerminated,
			EvAck: LegTerminating, EvCancel: LegTerminating, EvBye: LegTerminating, EvEnd: LegTerminated,
		},
		LegTerminated: {EvEnd: LegTerminated, EvReject: LegTerminated},
	}
	for s := LegIdle; s <= LegTerminated; s++ {
		for ev := EvInvite; ev <= EvEnd; ev++ {
			to, err := nextLegState(s, ev)
			exp, ok := want[s][ev]
			switch {
			case ok && (err != nil || to != exp):
				t.Errorf("%s --%s--> %s, %v; want %s", s, ev, to, err, exp)
			case !ok && (!errors.Is(err, ErrBadTransition) || to != s):
				t.Errorf("%s --%s--> %s, %v; want refused, state kept", s, ev, to, err)
			}
		}
	}
}

// TestLegLifecycles runs whole dialogs through the machine.
func TestLegLifecycles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []LegEvent
		want   LegState
	}{
		{"answered call", []LegEvent{EvInvite, EvTrying, EvEarly, EvAnswer, EvAck, EvBye, EvEnd}, LegTerminated},
		{"rejected", []LegEvent{EvInvite, EvTrying, EvReject}, LegTerminated},
		{"cancelled while ringing", []LegEvent{EvInvite, EvEarly, EvCancel, EvReject}, LegTerminated},
		{"CANCEL crossed by 200: ACK then BYE", []LegEvent{EvInvite, EvEarly, EvCancel, EvAnswer, EvAck, EvBye, EvEnd}, LegTerminated},
		{"2xx retransmitted after ACK", []LegEvent{EvInvite, EvAnswer, EvAck, EvAnswer}, LegConfirmed},
		{"no ACK: ended", []LegEvent{EvInvite, EvAnswer, EvEnd}, LegTerminated},
		{"up until BYE", []LegEvent{EvInvite, EvAnswer, EvAck}, LegConfirmed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := LegIdle
			for _, ev := range tc.events {
				next, err := nextLegState(s, ev)
				if err != nil {
					t.Fatalf("%s on %s: %v", s, ev, err)
				}
				s = next
			}
			if s != tc.want {
				t.Fatalf("ended %s, want %s", s, tc.want)
			}
		})
	}
}

func TestLegStateNames(t *testing.T) {
	if LegConfirmed.String() != "confirmed" || EvAck.String() != "ack" || LegState(99).String() != "state(99)" {
		t.Errorf("names: %s %s %s", LegConfirmed, EvAck, LegState(99))
	}
	if !LegEarly.Up() || LegTrying.Up() || LegTerminated.Up() {
		t.Error("Up() wrong")
	}
}

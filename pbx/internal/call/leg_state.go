package call

import "fmt"

// LegState is where one leg's dialog stands (RFC 3261 §12, §13, §15). The
// same machine serves both roles: for a UAS leg the events are what the PBX
// received and answered, for a UAC leg what it sent and was answered.
type LegState uint8

// Leg states.
const (
	// LegIdle: built, no INVITE sent or received yet.
	LegIdle LegState = iota
	// LegTrying: the INVITE is out (UAC) or in (UAS); no dialog yet.
	LegTrying
	// LegEarly: a provisional response with a To tag made an early dialog
	// (RFC 3261 §12.1).
	LegEarly
	// LegAnswered: the initial INVITE has its 2xx; the ACK is not yet
	// exchanged (RFC 3261 §13.3.1.4).
	LegAnswered
	// LegConfirmed: the 2xx was ACKed; the dialog is confirmed.
	LegConfirmed
	// LegTerminating: a CANCEL or BYE was sent and waits for its answer.
	LegTerminating
	// LegTerminated: the dialog is over (failure response, BYE, timeout).
	LegTerminated
)

var legStateNames = [...]string{"idle", "trying", "early", "answered", "confirmed", "terminating", "terminated"}

func (s LegState) String() string {
	if int(s) < len(legStateNames) {
		return legStateNames[s]
	}
	return fmt.Sprintf("state(%d)", s)
}

// Up reports whether the dialog exists and is not over: early, answered or
// confirmed.
func (s LegState) Up() bool { return s == LegEarly || s == LegAnswered || s == LegConfirmed }

// LegEvent moves a leg's state machine.
type LegEvent uint8

// Leg events.
const (
	// EvInvite: the initial INVITE was sent (UAC) or received (UAS).
	EvInvite LegEvent = iota
	// EvTrying: a provisional response without a To tag (100).
	EvTrying
	// EvEarly: a provisional response with a To tag.
	EvEarly
	// EvAnswer: a 2xx to the initial INVITE (or its retransmission).
	EvAnswer
	// EvAck: the ACK for that 2xx.
	EvAck
	// EvReject: a final non-2xx response to the initial INVITE.
	EvReject
	// EvCancel: CANCEL sent while the INVITE is pending.
	EvCancel
	// EvBye: BYE sent on the dialog (or received and answered).
	EvBye
	// EvEnd: the dialog is over: BYE answered or timed out, a 408/481
	// in the dialog, no ACK after 64*T1 (RFC 3261 §12.2.1.2, §13.3.1.4).
	EvEnd
)

var legEventNames = [...]string{"invite", "trying", "early", "answer", "ack", "reject", "cancel", "bye", "end"}

func (e LegEvent) String() string {
	if int(e) < len(legEventNames) {
		return legEventNames[e]
	}
	return fmt.Sprintf("event(%d)", e)
}

// legTransitions is the whole machine: from state, on event, to state. A
// pair that is missing is an invalid transition.
var legTransitions = map[LegState]map[LegEvent]LegState{
	LegIdle: {EvInvite: LegTrying, EvEnd: LegTerminated},
	LegTrying: {
		EvTrying: LegTrying, EvEarly: LegEarly, EvAnswer: LegAnswered,
		EvReject: LegTerminated, EvCancel: LegTerminating, EvEnd: LegTerminated,
	},
	LegEarly: {
		EvTrying: LegEarly, EvEarly: LegEarly, EvAnswer: LegAnswered,
		EvReject: LegTerminated, EvCancel: LegTerminating, EvBye: LegTerminating, EvEnd: LegTerminated,
	},
	LegAnswered: {
		EvAnswer: LegAnswered, EvAck: LegConfirmed, EvBye: LegTerminating, EvEnd: LegTerminated,
	},
	LegConfirmed: {
		EvAnswer: LegConfirmed, EvAck: LegConfirmed, EvBye: LegTerminating, EvEnd: LegTerminated,
	},
	// A CANCEL can cross a 2xx (RFC 3261 §9.1): the 2xx still makes a
	// dialog, which the PBX then ACKs and ends with BYE. A 487 (or any
	// final failure) ends the leg.
	LegTerminating: {
		EvTrying: LegTerminating, EvEarly: LegTerminating, EvAnswer: LegAnswered, EvReject: LegTerminated,
		EvAck: LegTerminating, EvCancel: LegTerminating, EvBye: LegTerminating, EvEnd: LegTerminated,
	},
	LegTerminated: {EvEnd: LegTerminated, EvReject: LegTerminated},
}

// nextLegState returns the state after ev, or an error for a transition
// the machine does not have (the state is then left as it was).
func nextLegState(s LegState, ev LegEvent) (LegState, error) {
	if to, ok := legTransitions[s][ev]; ok {
		return to, nil
	}
	return s, fmt.Errorf("leg %s on %s: %w", s, ev, ErrBadTransition)
}

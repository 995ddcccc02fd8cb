package testua

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrConfig means New was given an unusable Config or option.
	ErrConfig = errors.New("bad test ua configuration")
	// ErrClosed means the UA was closed: nothing more is sent, and a wait
	// that found nothing recorded ends.
	ErrClosed = errors.New("test ua closed")
	// ErrUnparsable marks a received record whose bytes sipgo could not
	// parse (Record.Err wraps it).
	ErrUnparsable = errors.New("unparsable sip message")
	// ErrIncomplete marks a received request the UA did not act on: it lacks
	// a header RFC 3261 §8.1.1 requires (Via, From, To, Call-ID, CSeq).
	ErrIncomplete = errors.New("request without mandatory headers")
	// ErrNotRequest means bytes given to StartRaw are not a SIP request.
	ErrNotRequest = errors.New("not a sip request")
	// ErrUsage means a method was called in a state where it cannot work
	// (ACK of a transaction with no 2xx, CANCEL of a non-INVITE, ...).
	ErrUsage = errors.New("bad test ua usage")
	// ErrNoChallenge means a 401/407 carried no digest challenge that
	// icholy/digest can answer.
	ErrNoChallenge = errors.New("no usable digest challenge")
	// ErrNoAck means no ACK arrived for a response retransmitted until
	// 64*T1 (RFC 3261 §13.3.1.4, §17.2.1 timer H).
	ErrNoAck = errors.New("no ack")
)

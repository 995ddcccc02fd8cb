package call

import "errors"

// Sentinel errors of the call layer.
var (
	// ErrMissingDeps means New was called without a required dependency.
	ErrMissingDeps = errors.New("missing dependency")
	// ErrBadTransition is a leg event its state machine has no transition for.
	ErrBadTransition = errors.New("invalid leg transition")
	// ErrNotHandled is what a Policy.InDialog returns for a request it leaves
	// to the call layer's default answer.
	ErrNotHandled = errors.New("request not handled")
)

// Errors of the call operations (ops.go).
var (
	// ErrNoPendingInvite: Answer on a leg with no INVITE waiting for a 2xx.
	ErrNoPendingInvite = errors.New("no INVITE to answer")
	// ErrLegNotUp: the operation needs a leg whose dialog is up.
	ErrLegNotUp = errors.New("leg not up")
	// ErrNotBridged: the leg is in no two-party bridge.
	ErrNotBridged = errors.New("leg not bridged")
	// ErrNeedsMixer: more than two parties need a seam that mixes.
	ErrNeedsMixer = errors.New("bridge cannot mix more than two legs")
	// ErrPendingOffer: the leg's 2xx carries an offer still waiting for an
	// answer (an originated leg without offer): Join it first.
	ErrPendingOffer = errors.New("leg has an unanswered offer")
	// ErrJoinRefused: a leg refused the re-INVITE that joins it.
	ErrJoinRefused = errors.New("leg refused to join")
)

// Offer/answer failures of a callee's 2xx (oa.go).
var (
	// ErrNoAnswer: the 2xx to an INVITE with an offer has no SDP answer.
	ErrNoAnswer = errors.New("no answer to the offer")
	// ErrNoOffer: the 2xx to an INVITE without an offer has no SDP offer.
	ErrNoOffer = errors.New("no offer in the 2xx of an INVITE without one")
	// ErrMediaLines: the answer's media lines do not match the offer's.
	ErrMediaLines = errors.New("answer does not match the offer's media lines")
	// ErrBadSDP: the 2xx's SDP does not parse (RFC 4566).
	ErrBadSDP = errors.New("SDP does not parse")
	// ErrNoToTag: a 2xx without To tag (RFC 3261 §8.2.6.2) makes no dialog.
	ErrNoToTag = errors.New("2xx without To tag")
	// ErrForeign2xx: a 2xx matched to the INVITE by its branch carries
	// another Call-ID.
	ErrForeign2xx = errors.New("2xx of another call")
)

// Session timers (timer.go, RFC 4028).
var (
	// ErrBadTimerHeader: a Session-Expires or Min-SE value that does not
	// parse (the request gets 400).
	ErrBadTimerHeader = errors.New("malformed session-timer header")
	// ErrSessionExpired: the peer that refreshes a session did not.
	ErrSessionExpired = errors.New("session timer expired")
)

// ErrNoChallenge is a 401/407 to an INVITE the PBX sent with no digest
// challenge it can answer with the target's credentials (uac_auth.go).
var ErrNoChallenge = errors.New("no digest challenge the PBX can answer")

// ErrNotRinging is a pickup of a call that no longer rings (pickup.go).
var ErrNotRinging = errors.New("the call does not ring")

// ErrNotEarlyCaller: the dialog a Replaces names exists but is no ringing
// call's caller leg (it is answered, or the PBX placed it): the ordinary
// takeover applies (transfer_ringing.go).
var ErrNotEarlyCaller = errors.New("the named dialog is no ringing call's caller")

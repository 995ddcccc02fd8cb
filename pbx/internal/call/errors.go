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

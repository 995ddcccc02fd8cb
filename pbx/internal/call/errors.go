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

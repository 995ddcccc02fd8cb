package sim

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrBadTarget means the Target cannot be used.
	ErrBadTarget = errors.New("bad target")
	// errNoCalleeLeg means the callee phone never showed the answered call.
	errNoCalleeLeg = errors.New("callee leg not found")
)

package ivr

import "errors"

// Sentinel errors of the IVR package, returned wrapped.
var (
	// ErrInvalid means the IVR YAML is not a valid configuration: every
	// *Error matches it.
	ErrInvalid = errors.New("invalid IVR configuration")
	// ErrUnknownNumber means NewMachine was given a number that is no IVR.
	ErrUnknownNumber = errors.New("not an IVR number")
)

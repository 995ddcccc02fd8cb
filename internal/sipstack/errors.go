package sipstack

import "errors"

// Sentinel errors of package sipstack.
var (
	// ErrConflict is returned by Setup when the process already runs with
	// other settings.
	ErrConflict = errors.New("sipgo settings already set differently")
	// ErrInvalid is returned by Validate and Setup for settings sipgo cannot
	// run with.
	ErrInvalid = errors.New("invalid sipgo settings")
)

package directory

import "errors"

// Sentinel errors of package directory.
var (
	// ErrNotFound: no subscriber has the number (never configured, or
	// deleted).
	ErrNotFound = errors.New("no such subscriber")
	// ErrExists: Add of a number a subscriber already has.
	ErrExists = errors.New("subscriber exists")
)

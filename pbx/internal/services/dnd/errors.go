package dnd

import "errors"

var (
	// ErrDND: the callee has do not disturb on.
	ErrDND = errors.New("do not disturb")
	// ErrMalformed: a *56 / #56 code that does not parse.
	ErrMalformed = errors.New("malformed do-not-disturb code")
)

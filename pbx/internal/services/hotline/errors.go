package hotline

import "errors"

var (
	// ErrMalformed: a *52* / #52# code that does not parse (no number, a
	// number with other characters, a delay out of range, a hotline to
	// oneself).
	ErrMalformed = errors.New("malformed hotline code")
	// ErrNoHotline: the subscriber went off hook (dialled the off-hook
	// number) without a hotline set.
	ErrNoHotline = errors.New("no hotline set")
)

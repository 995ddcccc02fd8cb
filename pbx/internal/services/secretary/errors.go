package secretary

import "errors"

var (
	// ErrMalformed: a *53 / #53 code that does not parse.
	ErrMalformed = errors.New("malformed secretary code")
	// ErrNotBoss: a subscriber who is no boss dialled the filtering code.
	ErrNotBoss = errors.New("not a boss with a secretary")
)

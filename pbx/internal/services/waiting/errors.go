package waiting

import "errors"

var (
	// ErrBusy: the callee is in a call and has call waiting off.
	ErrBusy = errors.New("busy: call waiting off")
	// ErrMalformed: a *58 / #58 code that does not parse.
	ErrMalformed = errors.New("malformed call-waiting code")
)

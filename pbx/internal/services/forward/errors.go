package forward

import "errors"

var (
	// ErrMalformed: a *57* / #57# (40, 41, 42) code that does not parse.
	ErrMalformed = errors.New("malformed call forwarding code")
	// ErrLoop: the forward target is a number the call was already
	// diverted from (or the callee itself).
	ErrLoop = errors.New("call forwarding loop")
	// ErrTooManyHops: the call was diverted max_hops times already.
	ErrTooManyHops = errors.New("call forwarding hop limit")
)

package wakeup

import "errors"

var (
	// ErrMalformed: a wake-up code that is not *55*hhmm# or #55# (a time
	// out of range, too few or too many digits).
	ErrMalformed = errors.New("malformed wake-up code")
	// ErrBadTime: a time that is not hhmm (00:00 to 23:59).
	ErrBadTime = errors.New("not a time of day hhmm")
)

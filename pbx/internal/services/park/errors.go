package park

import "errors"

var (
	// ErrConfig: the configuration does not pass Check.
	ErrConfig = errors.New("bad park configuration")
	// ErrFull: every slot holds a parked call (the transfer fails: 486).
	ErrFull = errors.New("every park slot is taken")
	// ErrEmpty: no call is parked at the slot (404).
	ErrEmpty = errors.New("no call parked at the slot")
	// ErrNoRight: the subscriber may not retrieve a call someone else
	// parked (403).
	ErrNoRight = errors.New("no park retrieval right")
	// ErrMalformed: a *6* code that does not parse (484).
	ErrMalformed = errors.New("malformed park code")
	// ErrNotTransfer: *6 dialled as a call of its own: there is no call to
	// park (403; park by transferring the call to *6).
	ErrNotTransfer = errors.New("park needs a call to transfer")
)

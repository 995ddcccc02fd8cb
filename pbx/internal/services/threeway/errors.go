package threeway

import "errors"

// Sentinel errors of the three-party service.
var (
	// ErrSwitchedOff: the host's three_party switch is off.
	ErrSwitchedOff = errors.New("three-party call switched off")
	// ErrNoHeldCall: the host has no other call to merge with.
	ErrNoHeldCall = errors.New("no other call to merge")
	// ErrFull: the conference has no seat for the parties to add.
	ErrFull = errors.New("conference full")
	// ErrNotTwoParty: the code came on a call that is not a two-party
	// call (a call already in a conference).
	ErrNotTwoParty = errors.New("not a two-party call")
)

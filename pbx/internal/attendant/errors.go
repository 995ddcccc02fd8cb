package attendant

import "errors"

// Sentinel errors of the attendant, returned wrapped.
var (
	// ErrDuplicateNumber means two IVR configurations claim one number.
	ErrDuplicateNumber = errors.New("IVR number defined twice")
	// ErrNoContact means the extension of a transfer has nowhere to ring.
	ErrNoContact = errors.New("extension not reachable")
	// ErrLateOffer means a caller who sent no SDP offer cannot be
	// transferred (the PBX has no offer of theirs to send on).
	ErrLateOffer = errors.New("caller sent no offer")
)

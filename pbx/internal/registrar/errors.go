package registrar

import "errors"

// Sentinel errors of package registrar.
var (
	// ErrConfig: New was given inconsistent options.
	ErrConfig = errors.New("invalid registrar configuration")
	// ErrBadContact: a static contact is not a SIP/SIPS URI.
	ErrBadContact = errors.New("bad contact URI")
)

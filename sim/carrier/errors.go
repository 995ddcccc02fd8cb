package carrier

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrConfig means the Config is unusable (the message names the field).
	ErrConfig = errors.New("bad carrier config")
	// ErrNotRegistered means an inbound call needs the PBX's registration
	// and the account has no live binding.
	ErrNotRegistered = errors.New("account not registered")
	// ErrUnknownAccount means no configured account has this username.
	ErrUnknownAccount = errors.New("unknown account")
	// ErrClosed means the carrier was closed.
	ErrClosed = errors.New("carrier closed")
)

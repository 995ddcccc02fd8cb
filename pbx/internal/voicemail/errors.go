package voicemail

import "errors"

// Sentinel errors of the voicemail service (returned wrapped).
var (
	// ErrNoMailbox: the number has no mailbox.
	ErrNoMailbox = errors.New("no mailbox")
	// ErrBadConfig: the service's configuration is unusable.
	ErrBadConfig = errors.New("bad voicemail configuration")
)

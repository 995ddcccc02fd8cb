package voicemail

import "errors"

// Sentinel errors of the voicemail service (returned wrapped).
var (
	// ErrNoMailbox: the number has no mailbox.
	ErrNoMailbox = errors.New("no mailbox")
	// ErrNoEndpoint: the call's caller has no endpoint of the media server
	// to take over.
	ErrNoEndpoint = errors.New("caller has no media endpoint")
	// ErrBadConfig: the service's configuration is unusable.
	ErrBadConfig = errors.New("bad voicemail configuration")
)

package notification

import "errors"

var (
	// ErrAnonymous: an anonymous caller dialled an access code (the
	// manual: anonymous subscribers may receive a notification but not use
	// the access code).
	ErrAnonymous = errors.New("anonymous caller may not use the access code")
	// ErrNotReceiver: a subscriber who is not one of the notification's
	// receivers (local mode) or not its deliverer (remote mode) dialled its
	// access code.
	ErrNotReceiver = errors.New("not a receiver of the notification")
	// ErrNotStarted: the access code of a remote notification dialled
	// before its time.
	ErrNotStarted = errors.New("notification not started")
)

package subscription

import "errors"

// Sentinel errors of the subscription service (returned wrapped).
var (
	// ErrBadEvent: the SUBSCRIBE names no event package the PBX serves
	// (489 Bad Event, RFC 6665 §4.2.1.1).
	ErrBadEvent = errors.New("unknown event package")
	// ErrClosed: the manager is closed.
	ErrClosed = errors.New("subscriptions closed")
	// ErrNoSubscription: an in-dialog SUBSCRIBE for no subscription (481).
	ErrNoSubscription = errors.New("no such subscription")
)

func joinErrs(errs []error) error { return errors.Join(errs...) }

package intervention

import (
	"errors"

	"pbxlab/pbx/internal/sipx"
)

var (
	// ErrConfig: the configuration does not pass Check.
	ErrConfig = errors.New("bad intervention configuration")
	// ErrMalformed: a *89 code that does not parse (484).
	ErrMalformed = errors.New("malformed intervention code")
	// ErrNoRight: the intervener has no intervention right, or the caller
	// is no subscriber (403).
	ErrNoRight = errors.New("no intervention right")
	// ErrWrongPassword: the password of *89*ABCD<num># is nobody's (403).
	ErrWrongPassword = errors.New("wrong call password")
	// ErrProtected: the target may not be intervened on (403).
	ErrProtected = errors.New("protected from intervention")
	// ErrSelf: the intervener dialled its own number (403).
	ErrSelf = errors.New("intervention on oneself")
	// ErrUnknown: the number is no subscriber (404).
	ErrUnknown = errors.New("not a subscriber")
)

// Status is the SIP answer to a refusal of Resolve: 484 malformed, 404 no
// such subscriber, 403 otherwise.
func Status(err error) (int, string) {
	switch {
	case errors.Is(err, ErrMalformed):
		return 484, "Address Incomplete"
	case errors.Is(err, ErrUnknown):
		return 404, "Not Found"
	}
	return 403, "Forbidden"
}

// Refusal wraps err in the SIP status Status gives it.
func Refusal(err error) error {
	code, reason := Status(err)
	return &sipx.StatusError{Code: code, Reason: reason, Err: err}
}

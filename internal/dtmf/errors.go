package dtmf

import "errors"

var (
	// ErrTelephoneEvent means an RTP telephone-event payload (RFC 4733)
	// cannot be decoded, or a digit cannot be encoded (bad duration or
	// interval).
	ErrTelephoneEvent = errors.New("invalid telephone-event payload")
	// ErrDigit means a character or event code that is not a DTMF digit
	// (0-9 * # A-D).
	ErrDigit = errors.New("not a DTMF digit")
)

package pickup

import "errors"

var (
	// ErrConfig: the configuration does not pass Check.
	ErrConfig = errors.New("bad pickup configuration")
	// ErrNoRight: the picker has no pickup right (403).
	ErrNoRight = errors.New("no pickup right")
	// ErrNoGroup: group pickup by a subscriber in no pickup group (403).
	ErrNoGroup = errors.New("not in a pickup group")
	// ErrMalformed: a *8 code that does not parse (484).
	ErrMalformed = errors.New("malformed pickup code")
)

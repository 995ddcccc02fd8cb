package impair

import "errors"

// ErrInvalid marks a configuration out of range.
var ErrInvalid = errors.New("invalid impairment")

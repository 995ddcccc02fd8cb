package callerid

import "errors"

// ErrMalformed: a caller ID code that does not parse (484).
var ErrMalformed = errors.New("malformed caller ID code")

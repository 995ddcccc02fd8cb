package password

import "errors"

var (
	// ErrConfig: the configuration does not pass Check.
	ErrConfig = errors.New("bad password configuration")
	// ErrMalformed: a *47 code that does not parse (484).
	ErrMalformed = errors.New("malformed password call code")
	// ErrWrongPassword: no subscriber has that password, or more than one
	// (403, with the barred prompt).
	ErrWrongPassword = errors.New("wrong call password")
)

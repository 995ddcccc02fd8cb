package abbreviated

import "errors"

var (
	// ErrNoCode: the code dialled stands for no number.
	ErrNoCode = errors.New("abbreviated code not set")
	// ErrMalformed: a *51* or #51* code that does not parse.
	ErrMalformed = errors.New("malformed abbreviated dialling code")
)

package conformance

import "errors"

// Sentinel errors.
var (
	// ErrNoMessages means a corpus directory holds no message file.
	ErrNoMessages = errors.New("no torture messages")
	// ErrBadIndex means EXPECTED.tsv or SIPGO-PARSE.txt is malformed or
	// names a file that is not in the corpus.
	ErrBadIndex = errors.New("bad corpus index")
	// ErrNoTarget means the Target names no transport.
	ErrNoTarget = errors.New("no target address")
	// ErrNoVia means a message has no Via header field to rewrite.
	ErrNoVia = errors.New("no Via header field")
	// ErrUnknownTable means Table was asked for a table it does not have.
	ErrUnknownTable = errors.New("unknown expectation table")
)

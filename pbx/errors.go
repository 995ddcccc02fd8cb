package pbx

import "errors"

var (
	// ErrNoListener means the configuration has no usable listen address.
	ErrNoListener = errors.New("no listen address")
	// ErrClosed means the server was closed.
	ErrClosed = errors.New("server closed")
)

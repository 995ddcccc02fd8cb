package call

import "errors"

var (
	// ErrMissingDeps means New was called without a required dependency.
	ErrMissingDeps = errors.New("missing dependency")
	// ErrCallEnded means the call ended before the operation completed.
	ErrCallEnded = errors.New("call ended")
)

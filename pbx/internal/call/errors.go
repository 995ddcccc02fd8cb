package call

import "errors"

// ErrMissingDeps means New was called without a required dependency.
var ErrMissingDeps = errors.New("missing dependency")

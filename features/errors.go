package features

import "errors"

// ErrOptions means the options (tags, format, target) were rejected.
var ErrOptions = errors.New("invalid suite options")

// ErrCoverage means a "# Service:" header, a results summary or a
// cucumber report could not be read, or the coverage table has no markers.
var ErrCoverage = errors.New("coverage")

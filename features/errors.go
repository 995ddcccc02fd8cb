package features

import "errors"

// ErrOptions means the options (tags, format, target) were rejected.
var ErrOptions = errors.New("invalid suite options")

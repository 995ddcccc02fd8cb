package restriction

import "errors"

// ErrRestricted: the caller's group may not call the callee's.
var ErrRestricted = errors.New("call barred by inter-group restriction")

package switches

import "errors"

// ErrContradiction: one prefix switches a service on and off.
var ErrContradiction = errors.New("contradictory switches")

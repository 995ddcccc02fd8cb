package pcaps

import "errors"

// ErrSetup reports a golden sidecar that does not decode or is incomplete.
var ErrSetup = errors.New("bad golden capture sidecar")

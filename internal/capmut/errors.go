package capmut

import "errors"

// ErrNotApplicable: the capture holds no message the mutation can change
// (a capture without a BYE cannot lose one).
var ErrNotApplicable = errors.New("the capture holds nothing to mutate")

// ErrKind: an unknown mutation kind.
var ErrKind = errors.New("unknown mutation kind")

package threshold

import "errors"

// Sentinel errors returned (wrapped) by Parse.
var (
	// ErrSyntax means the text is not "metric op value".
	ErrSyntax = errors.New("bad threshold syntax")
	// ErrUnknownMetric means the metric is not one the report provides.
	ErrUnknownMetric = errors.New("unknown metric")
	// ErrValue means the value is not in the metric's unit.
	ErrValue = errors.New("bad threshold value")
)

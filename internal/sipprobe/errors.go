package sipprobe

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrNotReady means no response came back before the probe's deadline.
	ErrNotReady = errors.New("sip server not ready")
	// ErrUsage means a bad argument (an unknown transport).
	ErrUsage = errors.New("bad probe usage")
)

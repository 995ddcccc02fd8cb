package pbxcontainer

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrNotReady means the PBX container did not answer SIP OPTIONS in
	// time, or exited before it did.
	ErrNotReady = errors.New("pbx container not ready")
	// ErrUsage means a missing or bad option.
	ErrUsage = errors.New("bad pbxcontainer usage")
	// ErrNoModule means the module root (go.mod of module pbxlab) was not
	// found above the working directory.
	ErrNoModule = errors.New("pbxlab module root not found")
)

package steps

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrNotConfigurable means a step tried to change the configuration of
	// a target that does not allow it (tag the scenario @in-process).
	ErrNotConfigurable = errors.New("target is not configurable")
	// ErrStarted means a configuration step came after the PBX started.
	ErrStarted = errors.New("pbx already started")
	// ErrNoSubscriber means a scenario number has no subscriber behind it
	// (in-process) or the live pool is exhausted.
	ErrNoSubscriber = errors.New("no subscriber available")
	// ErrUnchecked means a scenario placed a call but no step asserted how
	// it ended.
	ErrUnchecked = errors.New("call outcome not asserted")
	// ErrExpectation means the PBX or a phone did something other than
	// what the step expects.
	ErrExpectation = errors.New("expectation not met")
	// ErrUsage means a step was used in a way the library does not support
	// (unknown phone, no call yet, ...): a defect of the feature file.
	ErrUsage = errors.New("bad step usage")
	// ErrBadFixture means a raw SIP fixture did not render to a valid message.
	ErrBadFixture = errors.New("bad sip fixture")
)

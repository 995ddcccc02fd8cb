package sim

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrBadTarget means the Target cannot be used.
	ErrBadTarget = errors.New("bad target")
	// ErrShardCarriers means a scenario with carriers was to be sharded:
	// every shard would start the carriers and place their inbound calls.
	ErrShardCarriers = errors.New("scenario with carriers cannot be sharded")
	// ErrShardCeiling means a calls.shape ceiling scenario was to be
	// sharded: each shard would judge its steps on part of the load.
	ErrShardCeiling = errors.New("ceiling scenario cannot be sharded")
	// ErrNoAnswer means the target sent no response at all to the first
	// REGISTER within the target timeout (WithTargetTimeout): nothing
	// listens there, or a firewall drops the packets.
	ErrNoAnswer = errors.New("target does not answer")
	// errNoCalleeLeg means the callee phone never showed the answered call.
	errNoCalleeLeg = errors.New("callee leg not found")
)

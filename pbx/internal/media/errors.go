package media

import "errors"

// Sentinel errors of the media server (returned wrapped).
var (
	// ErrNoPorts: every RTP/RTCP pair of the range is in use or draining.
	ErrNoPorts = errors.New("no free RTP port pair")
	// ErrClosed: the server, the allocator or the endpoint is closed.
	ErrClosed = errors.New("media closed")
	// ErrBadSDP: an SDP the PBX must anchor cannot be read (no audio
	// stream, no connection address, malformed).
	ErrBadSDP = errors.New("unusable sdp")
	// ErrNoCodec: nothing in an offer or answer can be bridged (no PCMU,
	// PCMA or G.722 the other side also has). The call layer answers 488.
	ErrNoCodec = errors.New("no codec the PBX can bridge")
	// ErrNoAddress: the PBX has no local address facing a leg's peer.
	ErrNoAddress = errors.New("no local address for media")
	// ErrDisabled: the media server is switched off (media.enabled false);
	// services that need it fail with it (busy, 486).
	ErrDisabled = errors.New("media server disabled")
	// ErrBadConfig: the media server's configuration is unusable.
	ErrBadConfig = errors.New("bad media configuration")
)

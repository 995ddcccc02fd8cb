package media

import (
	"errors"

	"pbxlab/internal/dtmf"
)

// Sentinel errors of the media server (returned wrapped: test with
// errors.Is): the RTP core first, then the pure components (sources, tones,
// WAV, library, DTMF, mixer).
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

	// ErrNotRewindable means Looping was given a Source that cannot start
	// over (it does not implement Rewinder).
	ErrNotRewindable = errors.New("source cannot rewind")
	// ErrUnknownTonePlan means media.tone_plan names no built-in plan.
	ErrUnknownTonePlan = errors.New("unknown tone plan")
	// ErrUnknownTone means a tone plan has no such tone.
	ErrUnknownTone = errors.New("unknown tone")

	// ErrNotWAV means the bytes are not a RIFF/WAVE file.
	ErrNotWAV = errors.New("not a RIFF/WAVE file")
	// ErrWAVFormat means a well-formed WAV whose audio is not 8 kHz mono
	// PCM16, µ-law or A-law.
	ErrWAVFormat = errors.New("unsupported WAV audio format")
	// ErrWAVMalformed means the chunk structure is wrong: a missing, repeated
	// or misplaced fmt/data chunk, a missing pad byte, an invalid chunk ID.
	ErrWAVMalformed = errors.New("malformed WAV")
	// ErrWAVTruncated means the file ends before what its headers announce.
	ErrWAVTruncated = errors.New("truncated WAV")
	// ErrWAVTooLarge means the file is above the configured size limit.
	ErrWAVTooLarge = errors.New("WAV above size limit")
	// ErrWriterClosed means Write or Flush after Close on a WAVWriter.
	ErrWriterClosed = errors.New("WAV writer closed")

	// ErrMediaID means no media file is configured for the media ID.
	ErrMediaID = errors.New("unknown media ID")
	// ErrLibraryConfig means the media.files configuration is invalid.
	ErrLibraryConfig = errors.New("invalid media library configuration")

	// ErrTelephoneEvent means an RTP telephone-event payload (RFC 4733)
	// cannot be decoded.
	ErrTelephoneEvent = dtmf.ErrTelephoneEvent
	// ErrDTMFDigit means a character or event code that is not a DTMF digit
	// (0-9 * # A-D).
	ErrDTMFDigit = dtmf.ErrDigit
	// ErrDTMFInfo means a SIP INFO DTMF body cannot be parsed.
	ErrDTMFInfo = errors.New("invalid SIP INFO DTMF body")
	// ErrMixer means mixer frames of different lengths, or inputs and
	// outputs that do not pair up.
	ErrMixer = errors.New("invalid mixer frames")

	// ErrDTMFContentType means a SIP INFO body of a type that carries no
	// DTMF (neither application/dtmf-relay nor application/dtmf).
	ErrDTMFContentType = errors.New("not a DTMF content type")
)

// Sentinel errors of the conference bridge and call recording.
var (
	// ErrRoomFull means a conference room has no seat left (the caller
	// gets 486 Busy Here).
	ErrRoomFull = errors.New("conference room full")
	// ErrNotAnchored means a call or leg has no media on the PBX to play
	// to, mix or record.
	ErrNotAnchored = errors.New("no anchored media")
)

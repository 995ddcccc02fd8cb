package sdpneg

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrNoAudio means the SDP has no m=audio line, or its audio stream is
	// disabled (port 0).
	ErrNoAudio = errors.New("sdp has no audio stream")
	// ErrNoConnection means neither the audio media nor the session carries a c= line.
	ErrNoConnection = errors.New("sdp has no connection address")
	// ErrMalformed means the body is not valid SDP or a field cannot be understood.
	ErrMalformed = errors.New("malformed sdp")
	// ErrNoCommonCodec means offer and answerer share no audio codec; a UAS answers 488.
	ErrNoCommonCodec = errors.New("no common audio codec")
	// ErrUnsupportedProto means the audio stream uses a transport other than RTP/AVP
	// (for example RTP/SAVP); a UAS answers 488.
	ErrUnsupportedProto = errors.New("unsupported media transport")
	// ErrNoCodecs means an offer was requested with an empty codec list.
	ErrNoCodecs = errors.New("no codecs to offer")
)

package phone

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrClosed means the Agent (or the Call) was closed.
	ErrClosed = errors.New("closed")
	// ErrNoConnection means there is no TCP connection to the peer
	// (Agent.SendRaw).
	ErrNoConnection = errors.New("no connection to the peer")
	// ErrNoTarget means a request needs Config.Target (registrar / proxy) and none is set.
	ErrNoTarget = errors.New("no target configured")
	// ErrDuplicateNumber means a phone with this number already exists on the Agent.
	ErrDuplicateNumber = errors.New("duplicate phone number")
	// ErrRejected is matched by every *StatusError: the far end answered non-2xx.
	ErrRejected = errors.New("request rejected")
	// ErrAuth is matched by a *StatusError whose request was refused after
	// credentials were sent (or none were configured): 401, 403 or 407.
	ErrAuth = errors.New("authentication failed")
	// ErrNotAnswered means the call ended before it was answered.
	ErrNotAnswered = errors.New("call not answered")
	// ErrCallState means the operation does not fit the call's state.
	ErrCallState = errors.New("invalid call state")
	// ErrBadURI means a dial target could not be parsed as a SIP URI.
	ErrBadURI = errors.New("bad sip uri")
	// ErrNoMedia means the far end's SDP could not be used.
	ErrNoMedia = errors.New("no usable media")
	// ErrNotHeard means the identity listened for was not detected before
	// the audio check's context ended.
	ErrNotHeard = errors.New("far identity not heard")
	// ErrSameIdentity means both legs of a call send the same identity, so
	// the audio check could not tell the far end from an echo.
	ErrSameIdentity = errors.New("far end sends our own identity")
	// ErrNoAudio means the Agent or the phone is signalling-only
	// (Config.SignallingOnly, PhoneConfig.SignallingOnly): its calls carry
	// no RTP, so there is no audio to check.
	ErrNoAudio = errors.New("signalling-only agent: no audio")
	// ErrNoDTMF means DTMF could not be sent: no telephone-event
	// negotiated, or the phone is not sending (StopSending).
	ErrNoDTMF = errors.New("cannot send DTMF")
)

// StatusError is a final non-2xx response to one of our requests.
type StatusError struct {
	Method string // REGISTER, INVITE, ...
	Code   int
	Reason string
}

// Error renders e.g. "REGISTER rejected: 403 Forbidden".
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s rejected: %d %s", e.Method, e.Code, e.Reason)
}

// Is matches ErrRejected always, and ErrAuth for 401, 403 and 407.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrRejected:
		return true
	case ErrAuth:
		return e.Code == 401 || e.Code == 403 || e.Code == 407
	}
	return false
}

// StatusCode returns the SIP status carried by err (a *StatusError), or 0.
func StatusCode(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

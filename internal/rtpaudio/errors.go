package rtpaudio

import "errors"

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrClosed is returned by Run and Send on a closed Stream.
	ErrClosed = errors.New("stream closed")
	// ErrBusy is returned when Run or Send is already active on the Stream.
	ErrBusy = errors.New("stream already running")
	// ErrUnsupportedCodec means the codec is neither PCMU nor PCMA.
	ErrUnsupportedCodec = errors.New("unsupported codec")
	// ErrBadPTime means the packetisation time is not a positive whole number of samples.
	ErrBadPTime = errors.New("invalid packetisation time")
	// ErrNoEvenPort means Listen could not bind an even port (RFC 3550 §11).
	ErrNoEvenPort = errors.New("no even udp port")
	// ErrNoEvents means SendDigits on a stream with no telephone-event format.
	ErrNoEvents = errors.New("no telephone-event payload type negotiated")
	// ErrNotSending means SendDigits while Send is not running.
	ErrNotSending = errors.New("stream not sending")
)

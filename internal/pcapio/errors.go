package pcapio

import "errors"

var (
	// ErrUnknownFormat is returned by Read for input that is neither pcapng
	// nor classic pcap (optionally gzip-compressed).
	ErrUnknownFormat = errors.New("not a pcap or pcapng capture")
	// ErrPayloadTooLarge is logged when a UDP payload does not fit in one
	// IP packet of the address family; the datagram is not recorded.
	ErrPayloadTooLarge = errors.New("payload too large for one IP packet")
)

// ErrTruncated is wrapped in a Reader's error when the capture stops in the
// middle of a record (a file cut short or still being written).
var ErrTruncated = errors.New("capture cut short")

// ErrRecordTooLarge is wrapped in a Reader's error for a record longer than
// any real capture's (1 MiB): a corrupt length, refused before it is read.
var ErrRecordTooLarge = errors.New("record too large")

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

package memnet

import "errors"

// Sentinel errors, returned wrapped in a *net.OpError like the net package's.
var (
	// ErrAddrInUse means another socket of the Network is bound to the address.
	ErrAddrInUse = errors.New("address already in use")
	// ErrNoFreePort means every ephemeral port of the address is taken.
	ErrNoFreePort = errors.New("no free ephemeral port")
	// ErrBadAddress means the address is not an IP literal with a port, or
	// its family does not match the network ("udp4", "udp6").
	ErrBadAddress = errors.New("bad address")
	// ErrNetwork means the network is not "udp", "udp4" or "udp6".
	ErrNetwork = errors.New("unsupported network")
	// ErrTooBig means a datagram is larger than MaxDatagram.
	ErrTooBig = errors.New("datagram too large")
)

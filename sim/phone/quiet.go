package phone

import (
	"net"
	"sync/atomic"
)

// quietConn is the Agent's UDP socket as sipgo reads it. Close silences it
// before closing the socket: from then on it keeps reading but drops every
// datagram instead of handing it to sipgo, so no new request starts a
// server transaction, while sipgo still holds the socket in its connection
// pool for the messages it was already handed.
//
// Without that, a request read just before the socket closed is handled
// (on its own goroutine) after sipgo's reader dropped the socket from the
// pool, and sipgo opens a fresh kernel UDP socket to answer it
// (TransportLayer.serverRequestConnection, TransportUDP.createConnection):
// a real socket even on an in-memory network, whose reader stalls a
// synctest bubble (docs/VIRTUAL_TIME.md) or, outside one, outlives Close.
type quietConn struct {
	net.PacketConn
	silent atomic.Bool
}

// ReadFrom returns the next datagram, or after silence the read error that
// ends it (the socket closed).
func (c *quietConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || !c.silent.Load() {
			return n, addr, err
		}
	}
}

// silence makes ReadFrom drop whatever it reads from now on (nil: no-op,
// an Agent on TCP).
func (c *quietConn) silence() {
	if c != nil {
		c.silent.Store(true)
	}
}

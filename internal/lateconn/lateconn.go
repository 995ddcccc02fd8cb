// Package lateconn is a test double for shutdown races: a UDP socket whose
// reader gets one datagram only at the very moment the socket is closed,
// as if it had been read just as its owner shut down.
package lateconn

import (
	"net"
	"sync"
	"sync/atomic"
)

// Conn hands its reader data (from from) once Close is called, and
// net.ErrClosed after that. Writes go to the wrapped socket (and fail once
// it is closed).
type Conn struct {
	net.PacketConn
	data      []byte
	from      net.Addr
	closed    chan struct{}
	once      sync.Once
	delivered atomic.Bool
}

// New wraps pc.
func New(pc net.PacketConn, data []byte, from net.Addr) *Conn {
	return &Conn{PacketConn: pc, data: data, from: from, closed: make(chan struct{})}
}

// ReadFrom blocks until Close, then returns the datagram once.
func (c *Conn) ReadFrom(p []byte) (int, net.Addr, error) {
	<-c.closed
	if c.delivered.CompareAndSwap(false, true) {
		return copy(p, c.data), c.from, nil
	}
	return 0, nil, net.ErrClosed
}

// Close releases the reader with the datagram and closes the socket.
func (c *Conn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.PacketConn.Close()
}

// Delivered reports whether the reader took the datagram.
func (c *Conn) Delivered() bool { return c.delivered.Load() }

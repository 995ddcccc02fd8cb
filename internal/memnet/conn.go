package memnet

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// errQueueFull is enqueue's answer when the receive queue is full.
var errQueueFull = errors.New("receive queue full")

// datagram is one queued packet.
type datagram struct {
	from netip.AddrPort
	data []byte
}

// Conn is a socket on a Network. It implements net.PacketConn; all methods
// are safe for concurrent use.
type Conn struct {
	nw    *Network
	local netip.AddrPort

	mu     sync.Mutex
	queue  []datagram
	closed bool
	drops  uint64

	ready     chan struct{} // capacity 1: a datagram was queued
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	rd        deadline
	wd        deadline
}

func newConn(nw *Network, local netip.AddrPort) *Conn {
	return &Conn{
		nw:    nw,
		local: local,
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
		rd:    newDeadline(),
		wd:    newDeadline(),
	}
}

// ReadFrom waits for the next datagram and copies it into b (truncating it
// if b is short, as UDP does). It returns a *net.OpError wrapping
// net.ErrClosed once the socket is closed, or os.ErrDeadlineExceeded when
// the read deadline passes. The source address is a *net.UDPAddr.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		if isClosedChan(c.rd.wait()) {
			return 0, nil, c.opErr("read", nil, os.ErrDeadlineExceeded)
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, nil, c.opErr("read", nil, net.ErrClosed)
		}
		if len(c.queue) > 0 {
			d := c.queue[0]
			c.queue[0] = datagram{}
			c.queue = c.queue[1:]
			more := len(c.queue) > 0
			c.mu.Unlock()
			if more {
				c.signal() // another reader may take the next one
			}
			return copy(b, d.data), udpAddr(d.from), nil
		}
		c.mu.Unlock()
		select {
		case <-c.ready:
		case <-c.done:
		case <-c.rd.wait():
		}
	}
}

// WriteTo sends one datagram to addr (a *net.UDPAddr, or any net.Addr whose
// String is "ip:port"). It never blocks: a datagram nobody receives is
// dropped and counted, as UDP would lose it. The destination must be of the
// socket's address family.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-c.done:
		return 0, c.opErr("write", addr, net.ErrClosed)
	case <-c.wd.wait():
		return 0, c.opErr("write", addr, os.ErrDeadlineExceeded)
	default:
	}
	dst, err := addrPortOf(addr)
	if err != nil {
		return 0, c.opErr("write", addr, err)
	}
	if dst.Addr().Is4() != c.local.Addr().Is4() {
		return 0, c.opErr("write", addr, fmt.Errorf("%w: %s from %s", ErrBadAddress, dst, c.local))
	}
	if len(b) > MaxDatagram {
		return 0, c.opErr("write", addr, ErrTooBig)
	}
	c.nw.send(c.source(), dst, bytes.Clone(b))
	return len(b), nil
}

// source is the address datagrams leave from: the bound address, or the
// family's loopback address for a socket bound to the wildcard address.
func (c *Conn) source() netip.AddrPort {
	a := c.local.Addr()
	if !a.IsUnspecified() {
		return c.local
	}
	if a.Is4() {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), c.local.Port())
	}
	return netip.AddrPortFrom(netip.IPv6Loopback(), c.local.Port())
}

// enqueue appends a datagram to the receive queue.
func (c *Conn) enqueue(from netip.AddrPort, data []byte) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	if len(c.queue) >= c.nw.queueLen {
		c.drops++
		c.mu.Unlock()
		return errQueueFull
	}
	c.queue = append(c.queue, datagram{from: from, data: data})
	c.mu.Unlock()
	c.signal()
	return nil
}

func (c *Conn) signal() {
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// Close unbinds the socket, discards its queue and wakes its readers with
// net.ErrClosed. A second Close returns net.ErrClosed (wrapped).
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.mu.Lock()
		c.closed = true
		c.queue = nil
		c.mu.Unlock()
		close(c.done)
		c.nw.unbind(c)
		c.rd.stop()
		c.wd.stop()
	})
	if !first {
		return c.opErr("close", nil, net.ErrClosed)
	}
	return nil
}

// LocalAddr is the bound address (a *net.UDPAddr; with the port chosen for
// port 0).
func (c *Conn) LocalAddr() net.Addr { return udpAddr(c.local) }

// AddrPort is the bound address.
func (c *Conn) AddrPort() netip.AddrPort { return c.local }

// Drops is the number of datagrams dropped because this socket's receive
// queue was full.
func (c *Conn) Drops() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drops
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline makes pending and future reads fail with
// os.ErrDeadlineExceeded once t passes; the zero time removes it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline makes writes fail once t passes (writes never block, so
// it only matters for writes started after t).
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

func (c *Conn) opErr(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Addr: addr, Err: err}
}

// addrPortOf reads a destination address, unmapping IPv4-in-IPv6 (sipgo
// resolves IPv4 destinations into 16-byte net.IPs).
func addrPortOf(addr net.Addr) (netip.AddrPort, error) {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case nil:
		return ap, fmt.Errorf("%w: no destination", ErrBadAddress)
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		var err error
		if ap, err = netip.ParseAddrPort(addr.String()); err != nil {
			return ap, fmt.Errorf("%w: %w", ErrBadAddress, err)
		}
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
	if !ap.Addr().IsValid() || ap.Port() == 0 {
		return ap, fmt.Errorf("%w: %s", ErrBadAddress, addr)
	}
	return ap, nil
}

// deadline is a resettable point in time whose passing closes a channel,
// after net.Pipe's: a blocked reader selects on wait(), a channel created by
// the socket, so it is durably blocked inside a synctest bubble, and the
// timer behind it is the bubble's virtual one.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline has passed
}

func newDeadline() deadline { return deadline{cancel: make(chan struct{})} }

// set arms the deadline at t; the zero time disarms it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: its func has closed (or is closing) cancel
	}
	d.timer = nil
	closed := isClosedChan(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		ch := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(ch) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

// stop releases the timer (at Close).
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// wait returns the channel closed when the deadline passes.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func isClosedChan(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

package impair

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"pbxlab/internal/clock"
)

// maxDatagram is the largest datagram a pump reads (the UDP maximum).
const maxDatagram = 65535

// ListenFunc opens a datagram socket, with net.ListenPacket's signature.
type ListenFunc func(network, address string) (net.PacketConn, error)

// options are what Option sets, for a Conn or a Stream.
type options struct {
	clk     clock.Clock
	listen  ListenFunc
	onClose func(Stats)       // WithOnClose; nil: none
	onDrop  func(StreamStats) // WithOnDrop; nil: none
}

func newOptions(opts []Option) options {
	o := options{clk: clock.New(), listen: net.ListenPacket}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Option configures Wrap or WrapStream.
type Option func(*options)

// WithClock sets the clock of delays and NAT bindings; default the wall
// clock (virtual inside a testing/synctest bubble).
func WithClock(c clock.Clock) Option { return func(o *options) { o.clk = c } }

// WithListen sets how the NAT opens the socket of a new binding (on the
// wrapped socket's IP, port 0); default net.ListenPacket. Required for an
// in-memory network. A Stream ignores it.
func WithListen(l ListenFunc) Option { return func(o *options) { o.listen = l } }

// WithOnClose calls f with a Conn's counters once it is closed. A Stream
// ignores it.
func WithOnClose(f func(Stats)) Option { return func(o *options) { o.onClose = f } }

// Stats counts what a Conn did to the datagrams.
type Stats struct {
	Sent       uint64 // datagrams the owner wrote
	SentLost   uint64 // of those, dropped (Loss)
	SentDup    uint64 // extra copies sent (Duplicate)
	Received   uint64 // datagrams that arrived at a live binding
	RecvLost   uint64 // of those, dropped (Loss)
	RecvDup    uint64 // extra copies delivered (Duplicate)
	NATDropped uint64 // arrived after their binding expired
	Bindings   uint64 // NAT bindings made, the first included
}

type datagram struct {
	data []byte
	from net.Addr
}

// Conn is an impaired net.PacketConn (see the package comment). Its
// LocalAddr is the wrapped socket's address, whatever binding is in use.
type Conn struct {
	options
	cfg   Config
	local net.Addr
	host  string // IP of new bindings

	mu       sync.Mutex
	ext      net.PacketConn // the current binding's socket
	boundAt  time.Time
	lastSent time.Time
	out, in  *rand.Rand
	queue    []datagram
	readErr  error
	deadline time.Time
	closed   bool
	stats    Stats

	ready chan struct{} // capacity 1: the queue, deadline or error changed
	done  chan struct{}
	pumps sync.WaitGroup
}

// Wrap impairs pc as cfg says, its random draws seeded by seed (the two
// directions draw from separate streams). The Conn owns pc: Close closes
// it (or the socket of the binding that replaced it).
func Wrap(pc net.PacketConn, cfg Config, seed int64, opts ...Option) (*Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(pc.LocalAddr().String())
	if err != nil {
		return nil, fmt.Errorf("impair %s: %w", pc.LocalAddr(), err)
	}
	c := &Conn{
		options: newOptions(opts),
		cfg:     cfg,
		local:   pc.LocalAddr(),
		host:    host,
		ext:     pc,
		out:     rand.New(rand.NewPCG(uint64(seed), 0x6f7574)), // "out"
		in:      rand.New(rand.NewPCG(uint64(seed), 0x696e)),   // "in"
		ready:   make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	now := c.clk.Now()
	c.boundAt, c.lastSent = now, now
	c.stats.Bindings = 1
	c.startPump(pc)
	return c, nil
}

// WriteTo sends b to addr through the impairment. A datagram lost or
// delayed is reported written, as UDP would.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, c.opErr("write", addr, net.ErrClosed)
	}
	now := c.clk.Now()
	if c.bindingOver(now) {
		if err := c.rebindLocked(now); err != nil {
			c.mu.Unlock()
			return 0, c.opErr("write", addr, err)
		}
	}
	c.lastSent = now
	f := c.cfg.decide(c.out.Float64)
	c.stats.Sent++
	switch {
	case f.drop:
		c.stats.SentLost++
	case f.copies > 1:
		c.stats.SentDup += uint64(f.copies - 1)
	}
	ext := c.ext
	c.mu.Unlock()
	if f.drop {
		return len(b), nil
	}
	if f.delay == 0 {
		for range f.copies {
			if _, err := ext.WriteTo(b, addr); err != nil {
				return 0, err
			}
		}
		return len(b), nil
	}
	data := bytes.Clone(b)
	for range f.copies {
		c.clk.AfterFunc(f.delay, func() { c.sendLater(data, addr) })
	}
	return len(b), nil
}

// sendLater sends a delayed datagram from the binding of the moment.
func (c *Conn) sendLater(data []byte, addr net.Addr) {
	c.mu.Lock()
	ext, closed := c.ext, c.closed
	c.mu.Unlock()
	if !closed {
		_, _ = ext.WriteTo(data, addr)
	}
}

// bindingOver reports whether the NAT binding must be replaced before
// sending at now. c.mu is held.
func (c *Conn) bindingOver(now time.Time) bool {
	n := c.cfg.NAT
	return (n.RebindAfter > 0 && now.Sub(c.boundAt) >= n.RebindAfter) ||
		(n.BindingTimeout > 0 && now.Sub(c.lastSent) >= n.BindingTimeout)
}

// rebindLocked opens the socket of a new binding and retires the old one
// (what arrives there is lost). c.mu is held.
func (c *Conn) rebindLocked(now time.Time) error {
	pc, err := c.listen("udp", net.JoinHostPort(c.host, "0"))
	if err != nil {
		return fmt.Errorf("nat rebinding: %w", err)
	}
	old := c.ext
	c.ext, c.boundAt = pc, now
	c.stats.Bindings++
	c.startPump(pc)
	_ = old.Close()
	return nil
}

func (c *Conn) startPump(pc net.PacketConn) {
	c.pumps.Go(func() { c.pump(pc) })
}

// pump reads one binding's socket until it is closed, putting what
// arrives through the receive impairment.
func (c *Conn) pump(pc net.PacketConn) {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := pc.ReadFrom(buf)
		c.mu.Lock()
		if c.closed || c.ext != pc {
			c.mu.Unlock()
			return // closed, or an old binding
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.mu.Unlock()
				continue
			}
			c.readErr = err
			c.mu.Unlock()
			c.signal()
			return
		}
		if n := c.cfg.NAT.BindingTimeout; n > 0 && c.clk.Now().Sub(c.lastSent) >= n {
			c.stats.NATDropped++
			c.mu.Unlock()
			continue
		}
		f := c.cfg.decide(c.in.Float64)
		c.stats.Received++
		switch {
		case f.drop:
			c.stats.RecvLost++
		case f.copies > 1:
			c.stats.RecvDup += uint64(f.copies - 1)
		}
		c.mu.Unlock()
		if f.drop {
			continue
		}
		d := datagram{data: bytes.Clone(buf[:n]), from: from}
		for range f.copies {
			if f.delay == 0 {
				c.enqueue(d)
				continue
			}
			c.clk.AfterFunc(f.delay, func() { c.enqueue(d) })
		}
	}
}

func (c *Conn) enqueue(d datagram) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, d)
	c.mu.Unlock()
	c.signal()
}

func (c *Conn) signal() {
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// ReadFrom returns the next datagram that came through the impairment.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
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
			return copy(b, d.data), d.from, nil
		}
		if err := c.readErr; err != nil {
			c.mu.Unlock()
			return 0, nil, err
		}
		dl := c.deadline
		c.mu.Unlock()
		var expired chan struct{}
		var timer clock.Timer
		if !dl.IsZero() {
			wait := dl.Sub(c.clk.Now())
			if wait <= 0 {
				return 0, nil, c.opErr("read", nil, os.ErrDeadlineExceeded)
			}
			expired = make(chan struct{})
			timer = c.clk.AfterFunc(wait, func() { close(expired) })
		}
		select {
		case <-c.ready:
		case <-c.done:
		case <-expired:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// Close closes the socket of the current binding and waits for the
// goroutines reading it. Delayed datagrams still pending are dropped.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.opErr("close", nil, net.ErrClosed)
	}
	c.closed = true
	ext := c.ext
	c.queue = nil
	c.mu.Unlock()
	close(c.done)
	err := ext.Close()
	c.pumps.Wait()
	if c.onClose != nil {
		c.onClose(c.Stats())
	}
	return err
}

// LocalAddr is the wrapped socket's address (the phone's own, inside the
// NAT).
func (c *Conn) LocalAddr() net.Addr { return c.local }

// ExternalAddr is the current binding's address: where the far end sees
// the datagrams come from.
func (c *Conn) ExternalAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ext.LocalAddr()
}

// Stats returns the counters.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// SetDeadline sets the read deadline (writes never block).
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline makes pending and future reads fail with
// os.ErrDeadlineExceeded once t passes; the zero time removes it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	c.signal()
	return nil
}

// SetWriteDeadline does nothing: writes never block.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }

func (c *Conn) opErr(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.local, Addr: addr, Err: err}
}

package impair

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"pbxlab/internal/clock"
)

// DefaultRTO is Config.RTO's default: Linux's minimum retransmission
// timeout (TCP_RTO_MIN), what a connection with a short round trip uses.
const DefaultRTO = 200 * time.Millisecond

// MaxRetransmits is how many times in a row a segment may be lost before
// the connection is given up (Linux's tcp_retries2).
const MaxRetransmits = 15

// maxRTO caps the doubled retransmission timeout (RFC 6298 §2.5).
const maxRTO = 60 * time.Second

// WithOnDrop calls f, with the Stream's counters, when the connection is
// dropped by the NAT's BindingTimeout or given up after MaxRetransmits
// losses. A Conn ignores it.
func WithOnDrop(f func(StreamStats)) Option { return func(o *options) { o.onDrop = f } }

// StreamStats counts what a Stream did.
type StreamStats struct {
	Sent          uint64        // segments the owner wrote
	SentRetrans   uint64        // retransmissions they needed (Loss)
	Received      uint64        // segments read from the connection
	RecvRetrans   uint64        // retransmissions they needed (Loss)
	SentDelay     time.Duration // the delay added to the segments written, summed
	ReceivedDelay time.Duration // the delay added to the segments read, summed
	Dropped       bool          // reset by the NAT or given up
}

// ValidateStream checks c for a stream: Validate's ranges, and no
// duplication, reordering or NAT rebinding (a stream delivers every byte
// once and in order, and a connection keeps its mapping while it lives).
func (c Config) ValidateStream() error {
	if err := c.Validate(); err != nil {
		return err
	}
	switch {
	case c.Duplicate != 0:
		return fmt.Errorf("impairment duplicate %v: %w: a stream delivers bytes once", c.Duplicate, ErrInvalid)
	case c.Reorder != 0:
		return fmt.Errorf("impairment reorder %v: %w: a stream delivers bytes in order", c.Reorder, ErrInvalid)
	case c.NAT.RebindAfter != 0:
		return fmt.Errorf("impairment nat rebind_after %s: %w: a connection keeps its mapping", c.NAT.RebindAfter, ErrInvalid)
	case c.RTO < 0:
		return fmt.Errorf("impairment rto %s: %w: negative", c.RTO, ErrInvalid)
	}
	return nil
}

// segment is bytes on their way, deliverable at due.
type segment struct {
	data []byte
	due  time.Time
}

// Stream is an impaired net.Conn: a TCP connection's path, as TCP shows
// it to the application:
//
//   - Loss is not seen: a lost segment is sent again after a
//     retransmission timeout (Config.RTO, doubled at each loss of the same
//     segment, RFC 6298 §5.5), so its bytes, and every byte after them,
//     arrive late and in order (head-of-line blocking). A segment lost
//     MaxRetransmits times in a row ends the connection, as TCP gives up.
//   - Delay and jitter delay every segment, but a segment is never
//     delivered before the one before it: bytes are never reordered.
//   - Duplicate, Reorder and the NAT's RebindAfter do not apply to a
//     stream: ValidateStream rejects them.
//   - The NAT's BindingTimeout is a middlebox that forgets an idle
//     connection: after that long with no byte in either direction the
//     connection is reset at both ends (the wrapped connection is closed,
//     reads fail with ErrIdleDropped) and WithOnDrop's function is called.
//
// A segment is what one Write hands over, or what one read of the wrapped
// connection returns. Every random decision comes from a generator seeded
// by the caller, one per direction: the nth segment written (or read)
// meets the same fate in every run with the same seed.
//
// Writes never block: the bytes are queued and sent when due. Its
// addresses are the wrapped connection's.
type Stream struct {
	options
	net.Conn // the wrapped connection: addresses; Read, Write, Close are Stream's
	cfg      Config

	mu            sync.Mutex
	out, in       *rand.Rand
	outQ, inQ     []segment
	outDue, inDue time.Time // due time of the last segment queued
	lastActive    time.Time // a byte last crossed the wire
	readErr       error     // the wrapped connection's, after the queued bytes
	writeErr      error     // the wrapped connection's: later writes fail
	dropErr       error     // reset (ErrIdleDropped), before them
	deadline      time.Time
	closed        bool
	stats         StreamStats
	idle          clock.Timer

	wready, rready chan struct{} // capacity 1: outQ, or inQ/deadline/error, changed
	done           chan struct{}
	wg             sync.WaitGroup
}

// WrapStream impairs conn as cfg says (ValidateStream), its random draws
// seeded by seed (one stream per direction). The Stream owns conn.
func WrapStream(conn net.Conn, cfg Config, seed int64, opts ...Option) (*Stream, error) {
	if err := cfg.ValidateStream(); err != nil {
		return nil, err
	}
	s := &Stream{
		options: newOptions(opts),
		Conn:    conn,
		cfg:     cfg,
		out:     rand.New(rand.NewPCG(uint64(seed), 0x6f7574)),
		in:      rand.New(rand.NewPCG(uint64(seed), 0x696e)),
		wready:  make(chan struct{}, 1),
		rready:  make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	now := s.clk.Now()
	s.outDue, s.inDue, s.lastActive = now, now, now
	if t := cfg.NAT.BindingTimeout; t > 0 {
		s.idle = s.clk.AfterFunc(t, s.checkIdle)
	}
	s.wg.Go(s.writer)
	s.wg.Go(s.pump)
	return s, nil
}

// fate draws one segment's delay: Delay, ±Jitter, and an RTO (doubling)
// for each time it is lost; giveUp when lost MaxRetransmits times.
func (s *Stream) fate(u func() float64) (d time.Duration, retrans int, giveUp bool) {
	jitter := u()
	d = s.cfg.Delay
	if s.cfg.Jitter > 0 {
		d = max(d+time.Duration((jitter*2-1)*float64(s.cfg.Jitter)), 0)
	}
	rto := s.cfg.RTO
	if rto == 0 {
		rto = DefaultRTO
	}
	for s.cfg.Loss > 0 && u()*100 < s.cfg.Loss {
		if retrans == MaxRetransmits {
			return d, retrans, true
		}
		retrans++
		d += rto
		rto = min(2*rto, maxRTO)
	}
	return d, retrans, false
}

// Write queues b, to be sent when its fate says; it never blocks.
func (s *Stream) Write(b []byte) (int, error) {
	s.mu.Lock()
	if err := s.stateErr("write"); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	if err := s.writeErr; err != nil {
		s.mu.Unlock()
		return 0, err
	}
	d, retrans, giveUp := s.fate(s.out.Float64)
	s.stats.Sent++
	s.stats.SentRetrans += uint64(retrans)
	if giveUp {
		s.mu.Unlock()
		s.drop(ErrGivenUp)
		return 0, s.opErr("write", ErrGivenUp)
	}
	due := s.clk.Now().Add(d)
	if due.Before(s.outDue) {
		due = s.outDue // never before the segment before it
	}
	s.stats.SentDelay += d
	s.outDue = due
	s.outQ = append(s.outQ, segment{data: bytes.Clone(b), due: due})
	s.mu.Unlock()
	signal(s.wready)
	return len(b), nil
}

// writer sends the queued segments, each when due, in order.
func (s *Stream) writer() {
	for {
		s.mu.Lock()
		if len(s.outQ) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wready:
				continue
			case <-s.done:
				return
			}
		}
		seg := s.outQ[0]
		wait := seg.due.Sub(s.clk.Now())
		s.mu.Unlock()
		if wait > 0 {
			select {
			case <-s.clk.After(wait):
			case <-s.done:
				return
			}
		}
		if _, err := s.Conn.Write(seg.data); err != nil {
			s.mu.Lock()
			s.writeErr, s.outQ = err, nil
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		s.outQ[0] = segment{}
		s.outQ = s.outQ[1:]
		s.lastActive = s.clk.Now()
		s.mu.Unlock()
	}
}

// pump reads the wrapped connection, giving each segment its fate.
func (s *Stream) pump() {
	buf := make([]byte, 16<<10)
	for {
		n, err := s.Conn.Read(buf)
		s.mu.Lock()
		if s.closed || s.dropErr != nil {
			s.mu.Unlock()
			return
		}
		if n > 0 {
			d, retrans, _ := s.fate(s.in.Float64) // the far end gives up, not us
			now := s.clk.Now()
			due := now.Add(d)
			if due.Before(s.inDue) {
				due = s.inDue
			}
			s.inDue, s.lastActive = due, now
			s.stats.Received++
			s.stats.RecvRetrans += uint64(retrans)
			s.stats.ReceivedDelay += d
			s.inQ = append(s.inQ, segment{data: bytes.Clone(buf[:n]), due: due})
		}
		if err != nil {
			s.readErr = err
		}
		s.mu.Unlock()
		signal(s.rready)
		if err != nil {
			return
		}
	}
}

// Read returns the bytes that are due, in order.
func (s *Stream) Read(b []byte) (int, error) {
	for {
		s.mu.Lock()
		if err := s.stateErr("read"); err != nil {
			s.mu.Unlock()
			return 0, err
		}
		now := s.clk.Now()
		var wait time.Duration // until the next segment is due; 0: none queued
		if len(s.inQ) > 0 {
			head := &s.inQ[0]
			if wait = head.due.Sub(now); wait <= 0 {
				n := copy(b, head.data)
				if head.data = head.data[n:]; len(head.data) == 0 {
					s.inQ[0] = segment{}
					s.inQ = s.inQ[1:]
				}
				s.mu.Unlock()
				return n, nil
			}
		} else if s.readErr != nil {
			err := s.readErr
			s.mu.Unlock()
			return 0, err
		}
		if dl := s.deadline; !dl.IsZero() {
			left := dl.Sub(now)
			if left <= 0 {
				s.mu.Unlock()
				return 0, s.opErr("read", os.ErrDeadlineExceeded)
			}
			if wait == 0 || left < wait {
				wait = left
			}
		}
		s.mu.Unlock()
		var timer <-chan time.Time
		if wait > 0 {
			timer = s.clk.After(wait)
		}
		select {
		case <-s.rready:
		case <-s.done:
		case <-timer:
		}
	}
}

// stateErr is the error of a closed or dropped Stream. s.mu is held.
func (s *Stream) stateErr(op string) error {
	switch {
	case s.closed:
		return s.opErr(op, net.ErrClosed)
	case s.dropErr != nil:
		return s.opErr(op, s.dropErr)
	}
	return nil
}

// checkIdle drops the connection once nothing crossed it for the NAT's
// BindingTimeout, or checks again when that can next be.
func (s *Stream) checkIdle() {
	s.mu.Lock()
	if s.closed || s.dropErr != nil {
		s.mu.Unlock()
		return
	}
	t := s.cfg.NAT.BindingTimeout
	idle := s.clk.Now().Sub(s.lastActive)
	if idle < t || len(s.outQ) > 0 {
		left := t - idle
		if left <= 0 {
			left = t // bytes queued: not idle, look again later
		}
		s.idle = s.clk.AfterFunc(left, s.checkIdle)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.drop(ErrIdleDropped)
}

// drop resets the connection (the NAT forgot it, or TCP gave up): the
// wrapped connection is closed, reads and writes fail with err.
func (s *Stream) drop(err error) {
	s.mu.Lock()
	if s.closed || s.dropErr != nil {
		s.mu.Unlock()
		return
	}
	s.dropErr = err
	s.stats.Dropped = true
	s.outQ, s.inQ = nil, nil
	st := s.stats
	s.mu.Unlock()
	_ = s.Conn.Close()
	signal(s.rready)
	if s.onDrop != nil {
		s.onDrop(st)
	}
}

// Close closes the wrapped connection and waits for the Stream's
// goroutines. Bytes still delayed are dropped.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.opErr("close", net.ErrClosed)
	}
	s.closed = true
	s.outQ, s.inQ = nil, nil
	idle, dropped := s.idle, s.dropErr != nil
	s.mu.Unlock()
	if idle != nil {
		idle.Stop()
	}
	close(s.done)
	err := s.Conn.Close()
	s.wg.Wait()
	if dropped {
		return nil // closed at the drop
	}
	return err
}

// Stats returns the counters.
func (s *Stream) Stats() StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// SetDeadline sets the read deadline (writes never block).
func (s *Stream) SetDeadline(t time.Time) error { return s.SetReadDeadline(t) }

// SetReadDeadline makes pending and future reads fail with
// os.ErrDeadlineExceeded once t passes; the zero time removes it.
func (s *Stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline = t
	s.mu.Unlock()
	signal(s.rready)
	return nil
}

// SetWriteDeadline does nothing: writes never block.
func (s *Stream) SetWriteDeadline(time.Time) error { return nil }

func (s *Stream) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: err}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

package testua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Record is one message the UA received (or sent: see UA.Sent).
type Record struct {
	// Seq is the record's position: 0 for the first message received (or
	// sent), in the order they happened.
	Seq int
	// At is when the UA read (or wrote) it: time.Now(), virtual inside a
	// testing/synctest bubble.
	At time.Time
	// Peer is the source of a received message, the destination of a sent one.
	Peer netip.AddrPort
	// Raw is the datagram, or the bytes of one message framed on TCP.
	Raw []byte
	// Msg is the message parsed by sipgo (*sip.Request or *sip.Response),
	// nil when Err is set.
	Msg sip.Message
	// Err, for a received record, says why Raw did not parse (it wraps
	// ErrUnparsable); or why a request was not acted on (missing mandatory
	// headers).
	Err error

	taken bool // returned by a wait (guarded by UA.mu)
}

// Request is the record's message if it is a request, else nil.
func (r *Record) Request() *sip.Request {
	req, _ := r.Msg.(*sip.Request)
	return req
}

// Response is the record's message if it is a response, else nil.
func (r *Record) Response() *sip.Response {
	res, _ := r.Msg.(*sip.Response)
	return res
}

// String is a one-line summary: "#3 12:00:00.123 from 127.0.0.1:5060: SIP/2.0 200 OK (INVITE)".
func (r *Record) String() string {
	head := fmt.Sprintf("#%d %s %s", r.Seq, r.At.Format("15:04:05.000"), r.Peer)
	switch m := r.Msg.(type) {
	case *sip.Request:
		return fmt.Sprintf("%s: %s %s (Call-ID %s)", head, m.Method, &m.Recipient, callIDOf(m))
	case *sip.Response:
		method := ""
		if cs := m.CSeq(); cs != nil {
			method = string(cs.MethodName)
		}
		return fmt.Sprintf("%s: %d %s (%s, Call-ID %s)", head, m.StatusCode, m.Reason, method, callIDOf(m))
	}
	return fmt.Sprintf("%s: unparsable %d bytes: %v", head, len(r.Raw), r.Err)
}

func callIDOf(m sip.Message) string {
	if h := m.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// receive takes one datagram.
func (u *UA) receive(data []byte, from netip.AddrPort) {
	if len(bytes.TrimSpace(data)) == 0 {
		return // keep-alive (RFC 5626 §4.4.1): not a message
	}
	m, err := sip.ParseMessage(data)
	u.record(data, m, err, from)
}

// record files one received message and acts on it.
func (u *UA) record(raw []byte, m sip.Message, perr error, from netip.AddrPort) {
	rec := &Record{At: time.Now(), Peer: from, Raw: raw, Msg: m}
	if perr != nil || m == nil {
		rec.Msg = nil
		rec.Err = fmt.Errorf("%w: %w", ErrUnparsable, perr)
		u.log.Debug("test ua: unparsable message", "from", from, "error", perr)
		u.file(rec)
		return
	}
	m.SetSource(from.String())
	m.SetTransport(u.transport)
	switch m := m.(type) {
	case *sip.Request:
		u.onRequest(rec, m)
	case *sip.Response:
		u.onResponse(rec, m)
	}
}

// file appends rec to the received records and wakes waiters.
func (u *UA) file(rec *Record) {
	u.mu.Lock()
	u.fileLocked(rec)
	u.mu.Unlock()
}

func (u *UA) fileLocked(rec *Record) {
	rec.Seq = len(u.received)
	u.received = append(u.received, rec)
	u.notifyLocked()
	if u.log.Enabled(context.Background(), slog.LevelDebug) {
		u.log.Debug("test ua: received", "local", u.local, "record", rec.String())
	}
}

// Await returns the first received record matching m that no wait has
// returned yet, waiting for it if needed; it is then taken. A message that
// arrived before Await was called is found: nothing is lost.
func (u *UA) Await(ctx context.Context, m Matcher) (*Record, error) {
	return waitFor(ctx, u, "await message", func() (*Record, bool) {
		for _, r := range u.received {
			if !r.taken && m.match(r) {
				r.taken = true
				return r, true
			}
		}
		return nil, false
	})
}

// Received lists every received record matching m (nil: all), taken or
// not, in arrival order; e.g. the 200 and its retransmissions with their
// arrival times.
func (u *UA) Received(m Matcher) []*Record {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*Record
	for _, r := range u.received {
		if m.match(r) {
			out = append(out, r)
		}
	}
	return out
}

// Sent lists every message the UA sent matching m (nil: all), in order.
func (u *UA) Sent(m Matcher) []*Record {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*Record
	for _, r := range u.sent {
		if m.match(r) {
			out = append(out, r)
		}
	}
	return out
}

// Until waits until cond holds, checking it now and after every change of
// the UA's state (a message received, an Incoming ready, Close). cond runs
// without the UA's lock, so it may call Received, Incoming, Sent, ...; e.g.
// Until(ctx, func() bool { return len(ua.Received(testua.Status(200))) >= 5 }).
func (u *UA) Until(ctx context.Context, cond func() bool) error {
	for {
		u.mu.Lock()
		changed, closed := u.changed, u.closed
		u.mu.Unlock()
		if cond() {
			return nil
		}
		if closed {
			return fmt.Errorf("wait for condition: %w", ErrClosed)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for condition: %w", ctx.Err())
		}
	}
}

// waitFor calls find with u.mu held until it succeeds, ctx ends or the UA
// closes (a last look is taken after close).
func waitFor[T any](ctx context.Context, u *UA, what string, find func() (T, bool)) (T, error) {
	for {
		u.mu.Lock()
		v, ok := find()
		changed, closed := u.changed, u.closed
		u.mu.Unlock()
		if ok {
			return v, nil
		}
		var zero T
		if closed {
			return zero, fmt.Errorf("%s: %w", what, ErrClosed)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return zero, fmt.Errorf("%s: %w", what, ctx.Err())
		}
	}
}

// framer cuts a TCP byte stream into messages with sipgo's stream parser,
// keeping the bytes of each message.
type framer struct {
	ps      *sip.ParserStream
	pending []byte // bytes written to ps not yet returned as a message
}

func newFramer() *framer { return &framer{ps: sip.NewParser().NewSIPStream()} }

func (f *framer) close() { f.ps.Close() }

// feed adds data and calls emit for each complete message, or once with
// every buffered byte and the error when the stream does not parse (the
// parser then starts afresh).
func (f *framer) feed(data []byte, emit func(raw []byte, m sip.Message, err error)) {
	f.pending = append(f.pending, data...)
	_, _ = f.ps.Write(data)
	for f.ps.Buffer().Len() > 0 {
		m, n, err := f.ps.ParseNext()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return // more to come
		}
		if err != nil || n > len(f.pending) {
			raw := f.pending
			f.pending = nil
			f.ps.Reset()
			if len(bytes.TrimSpace(raw)) > 0 {
				emit(raw, nil, err)
			}
			return
		}
		raw := bytes.TrimLeft(f.pending[:n], "\r\n")
		f.pending = append([]byte(nil), f.pending[n:]...)
		emit(append([]byte(nil), raw...), m, nil)
	}
}

package testua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
)

// Config is what a UA needs to know.
type Config struct {
	// Transport is "udp" (default) or "tcp".
	Transport string
	// PBX is where every request goes (required). Over TCP the UA dials it
	// once and keeps that one connection.
	PBX netip.AddrPort
	// LocalIP is the address to bind; default: the address that routes to
	// PBX (ignored when a PacketConn or Conn is injected).
	LocalIP netip.Addr
	// LocalPort is the port to bind, 0 (default) for an ephemeral one.
	LocalPort uint16
	// User is the user part of the UA's own URI (From, Contact); default
	// "testua".
	User string
	// Domain is the host part of From/To/Request-URIs the builders make;
	// default: the PBX's address.
	Domain string
}

// Option changes how a UA is built.
type Option func(*options)

type options struct {
	pc         net.PacketConn
	conn       net.Conn
	capture    *pcapio.Writer
	log        *slog.Logger
	auto       Auto
	retransmit bool
	t1, t2     time.Duration
}

// WithPacketConn makes a UDP UA use pc instead of binding a socket (an
// in-memory network, e.g. for testing/synctest). The UA closes pc.
func WithPacketConn(pc net.PacketConn) Option { return func(o *options) { o.pc = pc } }

// WithConn makes a TCP UA use c (already connected to the PBX) instead of
// dialling. The UA closes c.
func WithConn(c net.Conn) Option { return func(o *options) { o.conn = c } }

// WithCapture records every message the UA sends and receives to w (see
// pcapio.WrapPacketConn and pcapio.WrapConn).
func WithCapture(w *pcapio.Writer) Option { return func(o *options) { o.capture = w } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithAuto sets what the UA does by itself (default DefaultAuto).
func WithAuto(a Auto) Option { return func(o *options) { o.auto = a } }

// WithRetransmit turns on UDP retransmission of the UA's own requests
// started with Start or StartRaw (RFC 3261 §17.1.1.2 timer A, §17.1.2.2
// timer E). Off by default: loopback does not lose datagrams.
func WithRetransmit() Option { return func(o *options) { o.retransmit = true } }

// WithTimers sets T1 and T2 (default 500 ms and 4 s): the retransmission
// intervals of WithRetransmit and Incoming.RespondUntilAck, and 64*T1, the
// time they give up.
func WithTimers(t1, t2 time.Duration) Option {
	return func(o *options) { o.t1, o.t2 = t1, t2 }
}

// UA is a SIP user agent for tests. It sends exactly what a test asks, when
// it asks, records everything it receives, and answers what the test leaves
// to it (see Auto). All methods are safe for concurrent use.
type UA struct {
	cfg       Config
	transport string // "udp" or "tcp"
	local     netip.AddrPort
	pc        net.PacketConn // udp
	conn      net.Conn       // tcp
	log       *slog.Logger
	retrans   bool
	t1, t2    time.Duration

	writeMu sync.Mutex
	wg      sync.WaitGroup
	done    chan struct{} // closed by Close
	close   sync.Once
	closeEr error

	mu       sync.Mutex
	auto     Auto
	changed  chan struct{} // closed and replaced at every change of the state below
	closed   bool
	received []*Record
	sent     []*Record
	txs      map[string]*ClientTx // by txKey
	incoming []*Incoming
	acks     map[string][]byte // ACKs the UA sent for a 2xx, by dialog key (AutoReAck)
	rtpPort  uint16
}

// New opens the UA's socket (or takes the injected one) and starts
// reading.
func New(cfg Config, opts ...Option) (*UA, error) {
	o := options{auto: DefaultAuto, t1: 500 * time.Millisecond, t2: 4 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	cfg.Transport = strings.ToLower(cfg.Transport)
	if cfg.Transport == "" {
		cfg.Transport = "udp"
	}
	switch {
	case cfg.Transport != "udp" && cfg.Transport != "tcp":
		return nil, fmt.Errorf("new test ua: %w: transport %q", ErrConfig, cfg.Transport)
	case !cfg.PBX.IsValid():
		return nil, fmt.Errorf("new test ua: %w: no PBX address", ErrConfig)
	case o.t1 <= 0 || o.t2 < o.t1:
		return nil, fmt.Errorf("new test ua: %w: timers T1 %s T2 %s", ErrConfig, o.t1, o.t2)
	case o.pc != nil && cfg.Transport != "udp", o.conn != nil && cfg.Transport != "tcp":
		return nil, fmt.Errorf("new test ua: %w: injected connection does not match transport %s", ErrConfig, cfg.Transport)
	}
	cfg.PBX = netip.AddrPortFrom(cfg.PBX.Addr().Unmap(), cfg.PBX.Port())
	if cfg.User == "" {
		cfg.User = "testua"
	}
	if cfg.Domain == "" {
		cfg.Domain = uriHost(cfg.PBX)
	}
	u := &UA{
		cfg: cfg, transport: cfg.Transport, log: o.log, retrans: o.retransmit, t1: o.t1, t2: o.t2,
		done: make(chan struct{}), auto: o.auto, changed: make(chan struct{}),
		txs: map[string]*ClientTx{}, acks: map[string][]byte{}, rtpPort: 40000,
	}
	if err := u.open(o); err != nil {
		return nil, fmt.Errorf("new test ua: %w", err)
	}
	if u.pc != nil {
		u.wg.Go(u.readUDP)
	} else {
		u.wg.Go(u.readTCP)
	}
	return u, nil
}

func (u *UA) open(o options) error {
	if u.transport == "tcp" {
		c := o.conn
		if c == nil {
			d := net.Dialer{Timeout: 5 * time.Second}
			if u.cfg.LocalIP.IsValid() || u.cfg.LocalPort != 0 {
				d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(u.cfg.LocalIP, u.cfg.LocalPort))
			}
			var err error
			if c, err = d.Dial("tcp", u.cfg.PBX.String()); err != nil {
				return fmt.Errorf("dial %s: %w", u.cfg.PBX, err)
			}
		}
		u.conn = pcapio.WrapConn(c, o.capture)
		u.local = addrPort(c.LocalAddr())
		return nil
	}
	pc := o.pc
	if pc == nil {
		ip := u.cfg.LocalIP
		if !ip.IsValid() {
			probe, err := net.Dial("udp", u.cfg.PBX.String())
			if err != nil {
				return fmt.Errorf("find local address for %s: %w", u.cfg.PBX, err)
			}
			ip = addrPort(probe.LocalAddr()).Addr()
			_ = probe.Close()
		}
		var err error
		if pc, err = net.ListenPacket("udp", netip.AddrPortFrom(ip, u.cfg.LocalPort).String()); err != nil {
			return fmt.Errorf("listen udp: %w", err)
		}
	}
	u.pc = pcapio.WrapPacketConn(pc, o.capture)
	u.local = addrPort(pc.LocalAddr())
	if u.local.Addr().IsUnspecified() && u.cfg.LocalIP.IsValid() {
		u.local = netip.AddrPortFrom(u.cfg.LocalIP, u.local.Port())
	}
	return nil
}

// addrPort converts a net.Addr of an IP socket (or anything printing as
// host:port); the zero AddrPort if it does not parse.
func addrPort(a net.Addr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// uriHost is ap as the host:port of a SIP URI (IPv6 in brackets).
func uriHost(ap netip.AddrPort) string { return ap.String() }

// Close stops the UA: pending waits end, retransmissions stop, the socket is
// closed and the reader has returned when Close returns. It is idempotent
// and returns the first close error.
func (u *UA) Close() error {
	u.close.Do(func() {
		u.mu.Lock()
		u.closed = true
		u.notifyLocked()
		u.mu.Unlock()
		close(u.done)
		var err error
		if u.pc != nil {
			err = u.pc.Close()
		} else {
			err = u.conn.Close()
		}
		u.wg.Wait()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		if err != nil {
			u.closeEr = fmt.Errorf("close test ua: %w", err)
		}
	})
	return u.closeEr
}

// Local is the UA's socket address (what the PBX sees as the source).
func (u *UA) Local() netip.AddrPort { return u.local }

// PBX is the address every request goes to.
func (u *UA) PBX() netip.AddrPort { return u.cfg.PBX }

// Transport is "udp" or "tcp".
func (u *UA) Transport() string { return u.transport }

// Auto is what the UA currently does by itself.
func (u *UA) Auto() Auto {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.auto
}

// SetAuto changes what the UA does by itself from now on, e.g.
// ua.SetAuto(ua.Auto() &^ testua.AutoBye) to leave BYEs to the test.
func (u *UA) SetAuto(a Auto) {
	u.mu.Lock()
	u.auto = a
	u.mu.Unlock()
}

// notifyLocked wakes every waiter. Call with mu held.
func (u *UA) notifyLocked() {
	close(u.changed)
	u.changed = make(chan struct{})
}

func (u *UA) readUDP() {
	buf := make([]byte, 65535)
	for {
		n, from, err := u.pc.ReadFrom(buf)
		if n > 0 {
			u.receive(append([]byte(nil), buf[:n]...), addrPort(from))
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				u.log.Debug("test ua: udp read ended", "error", err)
			}
			return
		}
	}
}

func (u *UA) readTCP() {
	f := newFramer()
	defer f.close()
	buf := make([]byte, 65535)
	from := addrPort(u.conn.RemoteAddr())
	for {
		n, err := u.conn.Read(buf)
		if n > 0 {
			f.feed(buf[:n], func(raw []byte, m sip.Message, perr error) { u.record(raw, m, perr, from) })
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				u.log.Debug("test ua: tcp read ended", "error", err)
			}
			return
		}
	}
}

// write sends b to to (UDP) or on the connection (TCP) and records it.
func (u *UA) write(b []byte, m sip.Message, to netip.AddrPort) error {
	select {
	case <-u.done:
		return fmt.Errorf("send: %w", ErrClosed)
	default:
	}
	if !to.IsValid() {
		to = u.cfg.PBX
	}
	u.writeMu.Lock()
	var err error
	if u.pc != nil {
		_, err = u.pc.WriteTo(b, net.UDPAddrFromAddrPort(to))
	} else {
		to = u.cfg.PBX
		_, err = u.conn.Write(b)
	}
	u.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("send to %s: %w", to, err)
	}
	if m == nil {
		m, _ = sip.ParseMessage(b)
	}
	rec := &Record{At: time.Now(), Peer: to, Raw: b, Msg: m}
	u.mu.Lock()
	rec.Seq = len(u.sent)
	u.sent = append(u.sent, rec)
	u.mu.Unlock()
	if u.log.Enabled(context.Background(), slog.LevelDebug) {
		u.log.Debug("test ua: sent", "local", u.local, "record", rec.String())
	}
	return nil
}

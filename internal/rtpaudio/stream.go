// Package rtpaudio is one G.711 RTP audio endpoint (RFC 3550, RFC 3551):
// a paced sender, a receiver that keeps statistics and recent decoded audio,
// and tone checks on that audio. Simulated phones use it now, the media
// server later.
package rtpaudio

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/sdpneg"
)

// Stream is one RTP audio endpoint on a packet connection. Run receives,
// Send transmits; both stop on context cancellation or Close.
type Stream struct {
	conn  net.PacketConn
	local netip.AddrPort

	ptime      time.Duration
	clock      clock.Clock
	log        *slog.Logger
	tap        Tap
	bufLen     time.Duration
	window     time.Duration
	srcTimeout time.Duration
	epoch      time.Time
	sent       Observer
	received   Observer
	ssrc       *uint32 // WithSSRC

	mu     sync.Mutex
	codec  sdpneg.Codec
	remote netip.AddrPort
	tx     txState
	rx     rxState
	stats  Stats
	ring   ring
	ev     eventState
	closed bool

	done    chan struct{}
	wg      sync.WaitGroup
	running atomic.Bool
	sending atomic.Bool
}

// New wraps conn, which the Stream owns from now on (Close closes it).
func New(conn net.PacketConn, opts ...Option) (*Stream, error) {
	s := &Stream{
		conn:       conn,
		local:      addrPortOf(conn.LocalAddr()),
		codec:      sdpneg.PCMU(),
		ptime:      20 * time.Millisecond,
		clock:      clock.New(),
		log:        slog.New(slog.DiscardHandler),
		bufLen:     2 * time.Second,
		window:     400 * time.Millisecond,
		srcTimeout: 500 * time.Millisecond,
		epoch:      time.Now(),
		done:       make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	if err := checkCodec(s.codec); err != nil {
		return nil, fmt.Errorf("new rtp stream: %w", err)
	}
	if s.ptime <= 0 || s.ptime > time.Second || (s.ptime*8000)%time.Second != 0 {
		return nil, fmt.Errorf("new rtp stream ptime %s: %w", s.ptime, ErrBadPTime)
	}
	s.ring = newRing(int(s.bufLen/s.ptime) + 1)
	s.tx = newTxState()
	if s.ssrc != nil {
		s.tx.ssrc = *s.ssrc
	}
	return s, nil
}

// Listen opens a Stream on ip with an even, system-chosen UDP port
// (RFC 3550 §11: RTP on even ports, RTCP on the next odd one).
func Listen(ip netip.Addr, opts ...Option) (*Stream, error) {
	return ListenWith(nil, ip, opts...)
}

// ListenFunc opens a datagram socket, with net.ListenPacket's signature.
type ListenFunc func(network, address string) (net.PacketConn, error)

// ListenWith is Listen with the sockets opened by listen (nil:
// net.ListenPacket): an in-memory network, or a socket wrapped in an
// impairment. listen gets ("udp", ip:0), then ("udp", ip:even) when the
// first port was odd.
func ListenWith(listen ListenFunc, ip netip.Addr, opts ...Option) (*Stream, error) {
	if listen == nil {
		listen = net.ListenPacket
	}
	for range 32 {
		c, err := listen("udp", netip.AddrPortFrom(ip, 0).String())
		if err != nil {
			return nil, fmt.Errorf("listen rtp %s: %w", ip, err)
		}
		port := addrPortOf(c.LocalAddr()).Port()
		if port%2 == 1 {
			even, err := listen("udp", netip.AddrPortFrom(ip, port-1).String())
			_ = c.Close()
			if err != nil {
				continue
			}
			c = even
		}
		s, err := New(c, opts...)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("listen rtp %s: %w", ip, ErrNoEvenPort)
}

func checkCodec(c sdpneg.Codec) error {
	if c.Rate != 8000 || (!strings.EqualFold(c.Name, "PCMU") && !strings.EqualFold(c.Name, "PCMA")) || c.PT > 127 {
		return fmt.Errorf("%w: %s", ErrUnsupportedCodec, c)
	}
	return nil
}

// LocalAddr returns the address the Stream receives on.
func (s *Stream) LocalAddr() netip.AddrPort { return s.local }

// SetRemote sets where Send transmits. A new address also lets the receiver
// lock on to a new source at once (re-INVITE, transfer).
func (s *Stream) SetRemote(addr netip.AddrPort) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	s.mu.Lock()
	defer s.mu.Unlock()
	if addr != s.remote {
		s.rx.unlock()
	}
	s.remote = addr
}

// Remote returns the address Send transmits to.
func (s *Stream) Remote() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// SetCodec switches the payload format for sending and receiving, e.g. once
// the answer is known.
func (s *Stream) SetCodec(c sdpneg.Codec) error {
	if err := checkCodec(c); err != nil {
		return fmt.Errorf("set codec: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codec = c
	return nil
}

// Codec returns the payload format in use.
func (s *Stream) Codec() sdpneg.Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codec
}

// enter registers a Run or Send goroutine unless the Stream is closed.
func (s *Stream) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.wg.Add(1)
	return nil
}

func (s *Stream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops Run and Send, closes the connection and waits for them to
// return. It is idempotent.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	err := s.conn.Close()
	s.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close rtp stream %s: %w", s.local, err)
	}
	return nil
}

func addrPortOf(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch v := a.(type) {
	case *net.UDPAddr:
		ap = v.AddrPort()
	default:
		if a != nil {
			ap, _ = netip.ParseAddrPort(a.String())
		}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

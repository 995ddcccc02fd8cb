package rtpaudio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Run receives packets until ctx is done or the Stream is closed, then
// returns nil; it returns an error only if the connection fails.
func (s *Stream) Run(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return fmt.Errorf("run rtp %s: %w", s.local, err)
	}
	defer s.wg.Done()
	if !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("run rtp %s: %w", s.local, ErrBusy)
	}
	defer s.running.Store(false)
	_ = s.conn.SetReadDeadline(time.Time{})

	stop := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		select {
		case <-ctx.Done():
			_ = s.conn.SetReadDeadline(time.Unix(1, 0)) // unblock ReadFrom
		case <-s.done:
		case <-stop:
		}
	})
	defer watcher.Wait()
	defer close(stop)

	buf := make([]byte, 2048)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if n > 0 {
			s.handle(buf[:n], addrPortOf(from), time.Now())
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil || s.isClosed() {
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		return fmt.Errorf("run rtp %s: %w", s.local, err)
	}
}

// handle processes one datagram that arrived at time at (real time, for
// jitter and the audio timeline).
func (s *Stream) handle(pkt []byte, from netip.AddrPort, at time.Time) {
	if s.tap != nil {
		s.tap(In, s.local, from, bytes.Clone(pkt))
	}
	var p rtp.Packet
	err := p.Unmarshal(pkt)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil || p.Version != 2:
		s.stats.Malformed++
		return
	case s.ev.on && p.PayloadType == s.ev.pt && p.PayloadType != s.codec.PT:
		s.handleEvent(&p, at)
		return
	case p.PayloadType != s.codec.PT || len(p.Payload) == 0 || !s.rx.accept(p.SSRC, at, s.srcTimeout):
		s.stats.Ignored++
		return
	}
	s.rx.update(p.SSRC, p.SequenceNumber, p.Timestamp, at)
	if s.received != nil {
		s.received(&p.Header, at)
	}
	s.stats.PacketsIn++
	s.stats.BytesIn += uint64(len(p.Payload))
	s.stats.LastSource = from
	s.stats.LastPacket = s.clock.Now()
	s.ring.push(at, decode(s.codec, p.Payload))
}

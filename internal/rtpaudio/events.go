package rtpaudio

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/pion/rtp"

	"pbxlab/internal/dtmf"
	"pbxlab/internal/sdpneg"
)

// DTMF as RFC 4733 telephone-events on the audio stream: SendDigits hands
// digits to the running Send loop, which replaces the audio of the packet
// slots a digit takes with the digit's events (same SSRC and sequence
// space, the event's RTP timestamp the audio timestamp at its start, the
// first packet marked, three end packets); the receiver turns incoming
// events of the negotiated payload type into digits (ReceivedDigits).

// DefaultDigitDuration and DefaultDigitGap are how long SendDigits holds a
// key and how long it waits between keys when given 0.
const (
	DefaultDigitDuration = 100 * time.Millisecond
	DefaultDigitGap      = 100 * time.Millisecond
)

// eventState is the telephone-event side of a Stream (under Stream.mu).
type eventState struct {
	on    bool  // a telephone-event payload type is negotiated
	pt    uint8 // its payload type
	queue []*digitJob
	// cur is the packet sequence of the digit being sent; next its next.
	cur  []dtmf.Packet
	next int
	gap  int // audio packets still to send before the next digit
	rx   *dtmf.Collector
	got  []dtmf.Digit
	wake chan struct{} // closed and replaced at every received digit
}

// digitJob is one SendDigits call.
type digitJob struct {
	digits   string
	dur, gap time.Duration
	sent     int // digits whose packets are all out
	done     chan struct{}
	ctx      context.Context
}

// SetEventCodec sets the telephone-event format (RFC 4733) of the stream:
// the payload type digits are sent with and received on, e.g. the one the
// far end's SDP gives. A codec without a name turns events off.
func (s *Stream) SetEventCodec(c sdpneg.Codec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case c.Name == "":
		s.ev.on = false
		return nil
	case !strings.EqualFold(c.Name, "telephone-event") || c.Rate != dtmf.SampleRate || c.PT > 127:
		return fmt.Errorf("set event codec: %w: %s", ErrUnsupportedCodec, c)
	}
	s.ev.on, s.ev.pt = true, c.PT
	return nil
}

// SendDigits sends digits (0-9 * # A-D) as telephone-events through the
// running Send loop, each held dur and followed by gap of audio (0: the
// defaults), and returns once the last one's end packets are out. It
// fails with ErrNoEvents when no event format is set, ErrNotSending when
// Send is not running, and a dtmf.ErrDigit error for a bad character.
// dur is rounded up to whole packets. When ctx ends first the digit being
// sent is finished and the rest dropped.
func (s *Stream) SendDigits(ctx context.Context, digits string, dur, gap time.Duration) error {
	for i := range len(digits) {
		if _, err := dtmf.EventOfDigit(digits[i]); err != nil {
			return fmt.Errorf("send digits %q: %w", digits, err)
		}
	}
	if dur <= 0 {
		dur = DefaultDigitDuration
	}
	if gap <= 0 {
		gap = DefaultDigitGap
	}
	if dur > dtmf.MaxDuration {
		return fmt.Errorf("send digits %q: duration %v: %w", digits, dur, dtmf.ErrTelephoneEvent)
	}
	job := &digitJob{digits: digits, dur: dur, gap: gap, done: make(chan struct{}), ctx: ctx}
	s.mu.Lock()
	switch {
	case !s.ev.on:
		s.mu.Unlock()
		return fmt.Errorf("send digits %q: %w", digits, ErrNoEvents)
	case !s.sending.Load():
		s.mu.Unlock()
		return fmt.Errorf("send digits %q: %w", digits, ErrNotSending)
	}
	s.ev.queue = append(s.ev.queue, job)
	s.mu.Unlock()
	select {
	case <-job.done:
		return nil
	case <-s.done:
		return fmt.Errorf("send digits %q: %w", digits, ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("send digits %q: %w", digits, ctx.Err())
	}
}

// eventTick runs on the Send loop once per packet slot: it sends the next
// event packet of the digit being sent and reports true, or reports false
// when the slot carries audio (no digit pending, or a gap between digits).
func (s *Stream) eventTick(samples int) bool {
	s.mu.Lock()
	ev := &s.ev
	if ev.cur == nil {
		if ev.gap > 0 {
			ev.gap--
			s.mu.Unlock()
			return false
		}
		if !s.startDigit(samples) {
			s.mu.Unlock()
			return false
		}
	}
	p := ev.cur[ev.next]
	ev.next++
	hdr := rtp.Header{Version: 2, Marker: p.Marker, PayloadType: ev.pt, SequenceNumber: s.tx.seq,
		Timestamp: p.Timestamp, SSRC: s.tx.ssrc}
	s.tx.ts += uint32(samples)
	remote := s.remote
	if remote.IsValid() {
		s.tx.seq++
		s.tx.started = true
	}
	var finished *digitJob
	if ev.next == len(ev.cur) {
		ev.cur, ev.next = nil, 0
		job := ev.queue[0]
		job.sent++
		ev.gap = int((job.gap + s.ptime - 1) / s.ptime)
		if job.sent == len(job.digits) || job.ctx.Err() != nil {
			ev.queue = ev.queue[1:]
			finished = job
		}
	}
	s.mu.Unlock()
	if remote.IsValid() {
		s.writePacket(remote, &rtp.Packet{Header: hdr, Payload: p.Event.Marshal()}, true)
	}
	if finished != nil {
		close(finished.done) // after its last packet is out
	}
	return true
}

// startDigit builds the packets of the next queued digit, starting at the
// current audio timestamp (under s.mu). False when nothing is queued.
func (s *Stream) startDigit(samples int) bool {
	ev := &s.ev
	for len(ev.queue) > 0 && ev.queue[0].ctx.Err() != nil {
		close(ev.queue[0].done)
		ev.queue = ev.queue[1:]
	}
	if len(ev.queue) == 0 || !ev.on {
		return false
	}
	job := ev.queue[0]
	slot := time.Duration(samples) * time.Second / dtmf.SampleRate
	dur := (job.dur + slot - 1) / slot * slot
	pkts, err := dtmf.Packets(job.digits[job.sent], s.tx.ts, dur, slot, dtmf.DefaultVolume)
	if err != nil { // checked by SendDigits; drop the job rather than loop
		s.log.Warn("dtmf packets", "err", err)
		ev.queue = ev.queue[1:]
		close(job.done)
		return false
	}
	ev.cur, ev.next = pkts, 0
	return true
}

// writePacket marshals and sends one packet and counts it.
func (s *Stream) writePacket(remote netip.AddrPort, pkt *rtp.Packet, event bool) {
	b, err := pkt.Marshal()
	if err != nil {
		s.log.Warn("marshal rtp", "err", err)
		return
	}
	if s.sent != nil && !event {
		s.sent(&pkt.Header, time.Now())
	}
	_, err = s.conn.WriteTo(b, net.UDPAddrFromAddrPort(remote))
	s.mu.Lock()
	switch {
	case err != nil:
		s.stats.SendErrors++
	case event:
		s.stats.EventsOut++
	default:
		s.stats.PacketsOut++
		s.stats.BytesOut += uint64(len(pkt.Payload))
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Debug("send rtp", "remote", remote, "err", err)
		return
	}
	if s.tap != nil {
		s.tap(Out, s.local, remote, bytes.Clone(b))
	}
}

// handleEvent feeds one received telephone-event packet to the collector
// (under s.mu).
func (s *Stream) handleEvent(p *rtp.Packet, at time.Time) {
	ev := &s.ev
	if ev.rx == nil {
		ev.rx = dtmf.NewCollector(0)
	}
	ds, err := ev.rx.Packet(p.Timestamp, p.Payload, at)
	if err != nil {
		s.stats.Malformed++
		return
	}
	s.stats.EventsIn++
	s.addDigits(ds)
}

// addDigits records received digits and wakes the waiters (under s.mu).
func (s *Stream) addDigits(ds []dtmf.Digit) {
	if len(ds) == 0 {
		return
	}
	s.ev.got = append(s.ev.got, ds...)
	if s.ev.wake != nil {
		close(s.ev.wake)
		s.ev.wake = nil
	}
}

// ReceivedDigits returns the DTMF digits received as telephone-events so
// far, in order (a digit whose end packets were all lost counts once no
// packet of it came for dtmf.DefaultTimeout).
func (s *Stream) ReceivedDigits() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ev.rx != nil {
		s.addDigits(s.ev.rx.Tick(time.Now()))
	}
	out := make([]byte, len(s.ev.got))
	for i, d := range s.ev.got {
		out[i] = d.Digit
	}
	return string(out)
}

// WaitDigits waits until at least n digits were received (see
// ReceivedDigits) or ctx ends, and returns the digits received.
func (s *Stream) WaitDigits(ctx context.Context, n int) (string, error) {
	tick := time.NewTicker(dtmf.DefaultTimeout / 2)
	defer tick.Stop()
	for {
		got := s.ReceivedDigits()
		if len(got) >= n {
			return got, nil
		}
		s.mu.Lock()
		if s.ev.wake == nil {
			s.ev.wake = make(chan struct{})
		}
		wake := s.ev.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-tick.C:
		case <-s.done:
			return got, fmt.Errorf("wait for %d digits: %w", n, ErrClosed)
		case <-ctx.Done():
			return got, fmt.Errorf("wait for %d digits (got %q): %w", n, got, ctx.Err())
		}
	}
}

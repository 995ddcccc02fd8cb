package voicemail

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/zaf/g711"

	"pbxlab/internal/clock"
	"pbxlab/internal/sdpneg"
	"pbxlab/pbx/internal/media"
)

// endpoint is what the service needs of the media server's endpoint facing
// the caller (media.Endpoint): send RTP to it, receive what it sends.
type endpoint interface {
	Send(pkt []byte) error
	SetOverride(on bool)
	SetReceiver(r media.Receiver)
	Leg() *media.LegMedia
}

// player plays Sources to an endpoint in real (or virtual) time: one 20 ms
// G.711 RTP packet per frame, in the codec the leg takes. Play replaces
// what was playing; done runs (on a timer goroutine) when a Source ends by
// itself, not when it is replaced or stopped.
type player struct {
	ep    endpoint
	clock clock.Clock

	mu      sync.Mutex
	src     media.Source
	done    func()
	gen     uint64 // bumped by Play and Stop: a stale tick does nothing
	timer   clock.Timer
	next    time.Time
	seq     uint16
	ts      uint32
	ssrc    uint32
	marker  bool
	frame   [media.FrameSamples]int16
	pkt     [12 + media.FrameSamples]byte
	stopped bool
}

func newPlayer(ep endpoint, c clock.Clock) *player {
	ep.SetOverride(true)
	return &player{ep: ep, clock: c, seq: uint16(rand.Uint32()), ts: rand.Uint32(), ssrc: rand.Uint32()}
}

// Play starts src now, replacing whatever played.
func (p *player) Play(src media.Source, done func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.gen++
	p.src, p.done, p.marker = src, done, true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.next = p.clock.Now()
	gen := p.gen
	p.timer = p.clock.AfterFunc(0, func() { p.tick(gen) })
}

// Stop silences the player for good.
func (p *player) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.gen++
	p.src, p.done = nil, nil
	if p.timer != nil {
		p.timer.Stop()
	}
}

func (p *player) tick(gen uint64) {
	p.mu.Lock()
	if gen != p.gen || p.src == nil {
		p.mu.Unlock()
		return
	}
	n, err := p.src.Read(p.frame[:])
	if n > 0 {
		clear(p.frame[n:])
		p.send()
	}
	if err != nil {
		done := p.done
		p.src, p.done = nil, nil
		p.mu.Unlock()
		if done != nil {
			done()
		}
		return
	}
	p.next = p.next.Add(media.FrameDuration)
	wait := max(p.next.Sub(p.clock.Now()), 0)
	p.timer = p.clock.AfterFunc(wait, func() { p.tick(gen) })
	p.mu.Unlock()
}

// send encodes the frame in the leg's codec and sends it (p.mu held).
func (p *player) send() {
	pt, alaw := uint8(0), false
	if m := p.ep.Leg(); m != nil {
		if c, ok := m.AudioCodec(); ok {
			pt, alaw = c.PT, isPCMA(c)
		}
	}
	b := p.pkt[:]
	b[0] = 0x80
	b[1] = pt & 0x7f
	if p.marker {
		b[1] |= 0x80
		p.marker = false
	}
	binary.BigEndian.PutUint16(b[2:], p.seq)
	binary.BigEndian.PutUint32(b[4:], p.ts)
	binary.BigEndian.PutUint32(b[8:], p.ssrc)
	for i, v := range p.frame {
		if alaw {
			b[12+i] = g711.EncodeAlawFrame(v)
		} else {
			b[12+i] = g711.EncodeUlawFrame(v)
		}
	}
	p.seq++
	p.ts += media.FrameSamples
	_ = p.ep.Send(b) // a closed endpoint: the call is ending
}

func isPCMA(c sdpneg.Codec) bool { return c.PT == 8 || c.Name == "PCMA" || c.Name == "pcma" }

// listener receives what the caller sends (media.Receiver): G.711 audio
// decoded to PCM16 for the current sink (a recording), RFC 4733 digits for
// onDigit. It runs on the endpoint's receive goroutine.
type listener struct {
	clock   clock.Clock
	onDigit func(d byte)

	mu   sync.Mutex
	sink media.Sink
	dtmf *media.DTMFCollector
	ssrc uint32
	buf  []int16
}

func newListener(c clock.Clock, onDigit func(byte)) *listener {
	return &listener{clock: c, onDigit: onDigit, dtmf: media.NewDTMFCollector(0)}
}

// SetSink sends the caller's audio to s from now on (nil: nowhere).
func (l *listener) SetSink(s media.Sink) {
	l.mu.Lock()
	l.sink = s
	l.mu.Unlock()
}

// ReceiveRTP implements media.Receiver.
func (l *listener) ReceiveRTP(_ *media.Endpoint, h media.Header, payload []byte) {
	var digits []media.Digit
	l.mu.Lock()
	switch {
	case h.Codec.Name == "telephone-event":
		if h.SSRC != l.ssrc {
			l.dtmf.Reset()
			l.ssrc = h.SSRC
		}
		var err error
		digits, err = l.dtmf.Packet(h.Timestamp, payload, l.clock.Now())
		if err != nil {
			digits = nil
		}
	case l.sink != nil && (h.Codec.PT == 0 || h.Codec.PT == 8 || h.Codec.Name == "PCMU" || h.Codec.Name == "PCMA"):
		l.buf = l.buf[:0]
		alaw := isPCMA(h.Codec)
		for _, v := range payload {
			if alaw {
				l.buf = append(l.buf, g711.DecodeAlawFrame(v))
			} else {
				l.buf = append(l.buf, g711.DecodeUlawFrame(v))
			}
		}
		l.sink.Write(l.buf)
	}
	l.mu.Unlock()
	for _, d := range digits {
		if l.onDigit != nil {
			l.onDigit(d.Digit)
		}
	}
}

// Tick reports a digit whose end packets were all lost (call it now and
// then).
func (l *listener) Tick() {
	l.mu.Lock()
	digits := l.dtmf.Tick(l.clock.Now())
	l.mu.Unlock()
	for _, d := range digits {
		if l.onDigit != nil {
			l.onDigit(d.Digit)
		}
	}
}

var errNoEndpoint = errors.New("no endpoint")

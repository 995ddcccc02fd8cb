package voicemail

import (
	"strings"
	"sync"
	"time"

	"github.com/zaf/g711"

	"pbxlab/pbx/internal/media"
)

// player plays one Source at a time to the caller's endpoint, on the media
// server's pacer, in ONE RTP stream for the whole session (one
// media.Player reading a feed, silence between sources): a phone that
// locks on its first SSRC hears every prompt. Play replaces what was
// playing; done runs (on the pacer's goroutine) when a Source ends by
// itself, not when it is replaced or stopped.
type player struct {
	mu   sync.Mutex
	src  media.Source
	done func()
	out  *media.Player
}

func newPlayer(pacer *media.Pacer, ep *media.Endpoint) *player {
	p := &player{}
	p.out = pacer.Play(ep, p, nil)
	return p
}

// Play starts src now, replacing whatever played.
func (p *player) Play(src media.Source, done func()) {
	p.mu.Lock()
	p.src, p.done = src, done
	p.mu.Unlock()
}

// Stop ends the stream.
func (p *player) Stop() {
	p.mu.Lock()
	p.src, p.done = nil, nil
	p.mu.Unlock()
	p.out.Stop()
}

// Read implements media.Source for the pacer: the current source's next
// frame, padded with silence at its end, silence when nothing plays. It
// never ends.
func (p *player) Read(frame []int16) (int, error) {
	p.mu.Lock()
	if p.src == nil {
		p.mu.Unlock()
		clear(frame)
		return len(frame), nil
	}
	n, err := p.src.Read(frame)
	var done func()
	if err != nil {
		clear(frame[n:])
		done = p.done
		p.src, p.done = nil, nil
	}
	p.mu.Unlock()
	if done != nil {
		done()
	}
	return len(frame), nil
}

// listener receives what the caller sends (media.Receiver): RFC 4733
// digits through the media server's DTMF receiver, and G.711 audio decoded
// to PCM16 for the current sink (a recording). It runs on the endpoint's
// receive goroutine.
type listener struct {
	dtmf *media.DTMFReceiver

	mu   sync.Mutex
	sink media.Sink
	buf  []int16
}

func newListener(now func() time.Time, onDigit func(byte)) *listener {
	return &listener{dtmf: media.NewDTMFReceiver(onDigit, now)}
}

// SetSink sends the caller's audio to s from now on (nil: nowhere).
func (l *listener) SetSink(s media.Sink) {
	l.mu.Lock()
	l.sink = s
	l.mu.Unlock()
}

// ReceiveRTP implements media.Receiver.
func (l *listener) ReceiveRTP(e *media.Endpoint, h media.Header, payload []byte) {
	l.dtmf.ReceiveRTP(e, h, payload)
	alaw := strings.EqualFold(h.Codec.Name, "PCMA")
	if !alaw && !strings.EqualFold(h.Codec.Name, "PCMU") {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sink == nil {
		return
	}
	l.buf = l.buf[:0]
	for _, v := range payload {
		if alaw {
			l.buf = append(l.buf, g711.DecodeAlawFrame(v))
		} else {
			l.buf = append(l.buf, g711.DecodeUlawFrame(v))
		}
	}
	l.sink.Write(l.buf)
}

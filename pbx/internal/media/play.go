package media

import (
	"fmt"
	"sync"
	"time"

	"pbxlab/internal/dtmf"
)

// What services outside this package (the IVR) play and hear on an
// endpoint the media server answered for them (Terminate): media IDs of
// the library or tones of the plan through the server's pacer, and the
// leg's DTMF.

// HasMedia reports whether id is a media ID of the library (built-in or
// configured); false when the media server is off.
func (s *Server) HasMedia(id string) bool { return s.svc != nil && s.svc.lib.Has(id) }

// PlayMedia plays media IDs one after the other to ep (see Pacer.Play:
// done runs once, nil at the end, ErrClosed when stopped). An unknown
// media ID is ErrMediaID and nothing plays.
func (s *Server) PlayMedia(ep *Endpoint, ids []string, done func(error)) (*Player, error) {
	if s.svc == nil {
		return nil, fmt.Errorf("play %v: %w", ids, ErrDisabled)
	}
	src, err := s.svc.lib.Sequence(ids...)
	if err != nil {
		return nil, fmt.Errorf("play %v: %w", ids, err)
	}
	return s.svc.pacer.Play(ep, src, done), nil
}

// PlayTone plays a tone of the plan to ep, for at most d (0: a looping
// tone until stopped).
func (s *Server) PlayTone(ep *Endpoint, kind ToneKind, d time.Duration, done func(error)) (*Player, error) {
	if s.svc == nil {
		return nil, fmt.Errorf("play tone %s: %w", kind, ErrDisabled)
	}
	src, err := s.svc.plan.Tone(kind)
	if err != nil {
		return nil, fmt.Errorf("play tone %s: %w", kind, err)
	}
	if d > 0 {
		src = Limit(src, d)
	}
	return s.svc.pacer.Play(ep, src, done), nil
}

// DTMFReceiver is an endpoint Receiver that turns the leg's RFC 4733
// telephone-events into digits: onDigit gets each digit once, when it
// ended, on the endpoint's receive goroutine (it must not block: post it
// to the call's executor). A digit whose end packets were all lost is
// reported at the leg's next packet after dtmf.DefaultTimeout (audio
// packets keep coming every 20 ms).
type DTMFReceiver struct {
	onDigit func(byte)
	now     func() time.Time

	mu   sync.Mutex
	coll *dtmf.Collector
	ssrc uint32
}

// NewDTMFReceiver returns a receiver calling onDigit; now is the arrival
// clock (nil: time.Now).
func NewDTMFReceiver(onDigit func(byte), now func() time.Time) *DTMFReceiver {
	if now == nil {
		now = time.Now
	}
	return &DTMFReceiver{onDigit: onDigit, now: now, coll: dtmf.NewCollector(0)}
}

// ReceiveRTP implements Receiver.
func (r *DTMFReceiver) ReceiveRTP(_ *Endpoint, h Header, payload []byte) {
	now := r.now()
	r.mu.Lock()
	if h.SSRC != r.ssrc {
		r.coll.Reset()
		r.ssrc = h.SSRC
	}
	var ds []dtmf.Digit
	if idOf(h.Codec) == codecEvent {
		ds, _ = r.coll.Packet(h.Timestamp, payload, now) // a bad payload is dropped
	} else {
		ds = r.coll.Tick(now)
	}
	r.mu.Unlock()
	for _, d := range ds {
		r.onDigit(d.Digit)
	}
}

package media

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zaf/g711"
)

// Member is one party of a Room: what it says goes into the mix (unless it
// only listens), what the others say comes out to it (unless it is a
// tap). Leave takes it out.
type Member struct {
	room   *Room
	name   string
	ep     *Endpoint // nil for a sink
	talks  bool      // its input is mixed
	out    Sink      // where its mix goes; nil: nowhere
	tones  bool      // its arrival and departure are announced
	unhook func()    // restores the endpoint's receiver
	// idleAfter > 0: onIdle runs (once) when the member's leg should be
	// sending and sent no RTP for that long (the media timeout)
	idleAfter time.Duration
	onIdle    func()
	idled     bool // onIdle ran; only the room's tick reads and writes it
	muteHeld  bool // not mixed while its leg holds the room (MuteOnHold)

	mu      sync.Mutex
	q       [MemberQueueFrames][FrameSamples]int16
	head, n int
	partial [FrameSamples]int16
	np      int
	dropped uint64 // frames dropped from a full queue

	left atomic.Bool
	once sync.Once
}

// MemberOption configures a member as it joins.
type MemberOption func(*Member)

// OnIdle makes the room call f, once, when the member's leg should be
// sending (sendrecv both ways) and sent no RTP for d: the media timeout
// of a call whose far end is the PBX (the anchor's own timeout only
// watches relayed legs). f runs on the room's goroutine and must not
// block (post to the call's executor). d <= 0 turns it off.
func OnIdle(d time.Duration, f func()) MemberOption {
	return func(m *Member) { m.idleAfter, m.onIdle = d, f }
}

// MuteOnHold keeps a member out of the mix while its leg takes no media
// from the room (it put the call on hold: a=sendonly or inactive), so
// that the others hear neither its music on hold nor its room: a party
// of a three-party call that holds it is away until it resumes.
func MuteOnHold() MemberOption { return func(m *Member) { m.muteHeld = true } }

// holding: the member is muted while its leg holds (MuteOnHold).
func (m *Member) holding() bool {
	if !m.muteHeld || m.ep == nil {
		return false
	}
	lm := m.ep.Leg()
	return lm != nil && !lm.Receives
}

// ListenOnly makes a member that hears the room and is not heard (a
// supervisor listening in, a muted party).
func ListenOnly() MemberOption { return func(m *Member) { m.talks = false } }

// Join seats a phone's endpoint in the room: its RTP is decoded into the
// mix (PCMU and PCMA; other payloads, telephone-events included, are
// ignored) and it is sent the mix of the others in its own law every 20 ms.
// Join and leave tones are played. ErrRoomFull when no seat is left.
//
// The room does not touch the endpoint's relay: an endpoint still linked
// to a far leg (Link) keeps relaying to it. To turn a two-party call into
// a three-party one, Unlink both endpoints and Join them (and the third);
// to listen to a call without changing it, Tap its endpoints.
func (r *Room) Join(ep *Endpoint, opts ...MemberOption) (*Member, error) {
	m := &Member{room: r, name: ep.Name(), ep: ep, talks: true, tones: true}
	m.out = newRTPOut(ep)
	for _, o := range opts {
		o(m)
	}
	m.unhook = hookReceiver(ep, m) // before the room can see it (and unhook it)
	if err := r.add(m, m.tones); err != nil {
		m.unhook()
		return nil, err
	}
	return m, nil
}

// Tap feeds an endpoint's received audio into the room without sending it
// anything (its RTP keeps going wherever it went: a recorded call's legs).
// No tones.
func (r *Room) Tap(ep *Endpoint) (*Member, error) {
	m := &Member{room: r, name: ep.Name(), ep: ep, talks: true}
	m.unhook = hookReceiver(ep, m)
	if err := r.add(m, false); err != nil {
		m.unhook()
		return nil, err
	}
	return m, nil
}

// AddSink adds a listener that hears every member (a recorder): s gets
// the room's whole mix every 20 ms, on the room's goroutine. No tones.
func (r *Room) AddSink(name string, s Sink) (*Member, error) {
	m := &Member{room: r, name: name, out: s}
	if err := r.add(m, false); err != nil {
		return nil, err
	}
	return m, nil
}

// Leave takes the member out of its room (the others hear the leave
// tone). Idempotent.
func (m *Member) Leave() {
	m.left.Store(true)
	r := m.room
	r.mu.Lock()
	r.removeLocked(m)
	r.mu.Unlock()
	m.detach()
}

// Dropped counts the frames dropped because the member's queue was full.
func (m *Member) Dropped() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

// gone: the member left, or its endpoint closed.
func (m *Member) gone() bool {
	return m.left.Load() || (m.ep != nil && m.ep.closing())
}

// checkIdle runs onIdle once the member's leg is idle for idleAfter (on
// the room's goroutine).
func (m *Member) checkIdle() {
	if m.idleAfter <= 0 || m.idled || m.ep == nil {
		return
	}
	if lm := m.ep.Leg(); lm == nil || !lm.Sends || m.ep.Idle() < m.idleAfter {
		return
	}
	m.idled = true
	m.onIdle()
}

// detach unhooks the member from its endpoint, once.
func (m *Member) detach() {
	m.once.Do(func() {
		if m.unhook != nil {
			m.unhook()
		}
	})
}

// Write queues audio the member said (any length; it is cut into 20 ms
// frames). It implements Sink.
func (m *Member) Write(samples []int16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(samples) > 0 {
		k := copy(m.partial[m.np:], samples)
		m.np += k
		samples = samples[k:]
		if m.np == FrameSamples {
			m.pushLocked(&m.partial)
			m.np = 0
		}
	}
}

// pushLocked appends a frame, dropping the oldest when the queue is full.
func (m *Member) pushLocked(f *[FrameSamples]int16) {
	if m.n == MemberQueueFrames {
		m.head = (m.head + 1) % MemberQueueFrames
		m.n--
		m.dropped++
	}
	m.q[(m.head+m.n)%MemberQueueFrames] = *f
	m.n++
}

// pop moves the oldest queued frame into dst; false when none is queued.
func (m *Member) pop(dst []int16) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return false
	}
	copy(dst, m.q[m.head][:])
	m.head = (m.head + 1) % MemberQueueFrames
	m.n--
	return true
}

// ReceiveRTP implements Receiver: G.711 payloads are decoded into the
// member's queue, anything else is ignored.
func (m *Member) ReceiveRTP(_ *Endpoint, h Header, payload []byte) {
	alaw := strings.EqualFold(h.Codec.Name, "PCMA")
	if !alaw && !strings.EqualFold(h.Codec.Name, "PCMU") {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range payload {
		// direct calls (not a func value) so that the table lookups inline
		if alaw {
			m.partial[m.np] = g711.DecodeAlawFrame(b)
		} else {
			m.partial[m.np] = g711.DecodeUlawFrame(b)
		}
		m.np++
		if m.np == FrameSamples {
			m.pushLocked(&m.partial)
			m.np = 0
		}
	}
}

// teeReceiver gives every packet to the receiver that was there first
// (a DTMF detector) and then to the member.
type teeReceiver struct{ first, then Receiver }

func (t *teeReceiver) ReceiveRTP(e *Endpoint, h Header, p []byte) {
	t.first.ReceiveRTP(e, h, p)
	t.then.ReceiveRTP(e, h, p)
}

// hookReceiver adds r to the endpoint's receiver (after any receiver
// already there) and returns what removes it again, leaving a receiver
// installed since in place.
func hookReceiver(e *Endpoint, r Receiver) func() {
	prev := e.recv.Load()
	box := &receiverBox{r: r}
	if prev != nil {
		box = &receiverBox{r: &teeReceiver{first: prev.r, then: r}}
	}
	e.recv.Store(box)
	return func() {
		if e.recv.CompareAndSwap(box, prev) {
			return
		}
		// someone replaced it since: leave theirs alone
	}
}

// rtpOut sends a member its mix: one G.711 RTP packet per frame, in the
// law its leg takes, from its endpoint. Only the room's goroutine writes.
type rtpOut struct {
	ep      *Endpoint
	ssrc    uint32
	seq     uint16
	ts      uint32
	started bool
	buf     [12 + FrameSamples]byte
}

func newRTPOut(ep *Endpoint) *rtpOut {
	return &rtpOut{ep: ep, ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// Write implements Sink.
func (o *rtpOut) Write(frame []int16) {
	defer func() { o.ts += uint32(len(frame)) }()
	lm := o.ep.Leg()
	if lm == nil || len(frame) > FrameSamples {
		return
	}
	c, ok := lm.AudioCodec()
	if !ok {
		return
	}
	alaw := strings.EqualFold(c.Name, "PCMA")
	if !alaw && !strings.EqualFold(c.Name, "PCMU") {
		return // G.722: the room mixes G.711 only
	}
	b := o.buf[:12+len(frame)]
	b[0] = 0x80
	b[1] = c.PT & 0x7f
	if !o.started {
		b[1] |= 0x80 // marker: the start of a talkspurt
		o.started = true
	}
	binary.BigEndian.PutUint16(b[2:], o.seq)
	binary.BigEndian.PutUint32(b[4:], o.ts)
	binary.BigEndian.PutUint32(b[8:], o.ssrc)
	if alaw {
		for i, s := range frame {
			b[12+i] = g711.EncodeAlawFrame(s)
		}
	} else {
		for i, s := range frame {
			b[12+i] = g711.EncodeUlawFrame(s)
		}
	}
	o.seq++
	_ = o.ep.Send(b) // counted in the endpoint's stats
}

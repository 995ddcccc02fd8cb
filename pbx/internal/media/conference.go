package media

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"pbxlab/internal/clock"
)

// A conference room mixes the audio of its members: every member hears the
// sum of all the others and not itself (the Mixer's N−1 mix), G.711 µ-law
// and A-law members together (each is decoded to PCM16 on arrival and the
// mix encoded in each member's own law on the way out).
//
// How it runs — choices, kept simple:
//
//   - One goroutine per room, started with its first member and stopped
//     when the room is empty again, ticks every 20 ms (FrameDuration) on the
//     room's clock, against absolute deadlines (no drift; a room that fell
//     more than roomMaxLag behind starts afresh instead of bursting).
//   - Each tick takes ONE 20 ms frame per talking member from a small
//     queue the member's RTP receive path fills (decoded PCM, any packet
//     length re-cut into 20 ms frames). The queue holds at most
//     MemberQueueFrames frames: a member whose clock runs fast loses its
//     oldest frame, one whose packets are late or lost is silent for that
//     tick (nothing is invented, nothing repeated). That absorbs up to
//     40 ms of jitter at the cost of at most 60 ms of delay, which is what
//     a jitter-free LAN needs; a real jitter buffer is later work.
//   - The mix of each member is encoded in the law its leg takes and sent
//     as one RTP packet per tick from the member's endpoint (its own SSRC,
//     sequence and timestamp), silence included, so NATs and the phones'
//     latching stay alive.
//   - Join and leave tones (built from the tone plan, ConferenceTones) are
//     mixed in as a talker nobody hears back: the join tone reaches every
//     member, the newcomer too; the leave tone the members left.
//   - A member whose endpoint is closed (its call ended and released its
//     media) leaves at the next tick.
//
// The Room is what three-party calls, intervention and call recording use:
// Join adds a phone's endpoint, Tap an endpoint that is only listened to
// (its RTP keeps flowing to wherever it did), AddSink a listener of
// everyone (a recorder).

// MemberQueueFrames is how many 20 ms frames a member's input queue holds.
const MemberQueueFrames = 3

// roomMaxLag is how far behind its schedule a room may fall before it
// gives up catching up (a stalled machine): it restarts its schedule.
const roomMaxLag = 5 * FrameDuration

// RoomConfig configures a Room.
type RoomConfig struct {
	// Name labels the room in logs (its number).
	Name string
	// MaxParties bounds the members (every kind counts); 0 means no bound.
	MaxParties int
	// JoinTone and LeaveTone are played into the room when a member joins
	// or leaves; nil plays nothing.
	JoinTone, LeaveTone *Clip
}

// RoomOption configures a Room.
type RoomOption func(*Room)

// WithRoomClock sets the clock of the room's ticks.
func WithRoomClock(c clock.Clock) RoomOption { return func(r *Room) { r.clock = c } }

// WithRoomLogger sets the logger.
func WithRoomLogger(l *slog.Logger) RoomOption { return func(r *Room) { r.log = l } }

// WithRoomAGC switches the mixer's automatic gain control (on by default).
func WithRoomAGC(on bool) RoomOption { return func(r *Room) { r.mixer = NewMixer(WithAGC(on)) } }

// Room is one conference room. Its methods are safe for concurrent use.
type Room struct {
	cfg   RoomConfig
	clock clock.Clock
	log   *slog.Logger
	mixer *Mixer // the tick's only

	mu      sync.Mutex
	members []*Member
	tones   []Source // playing
	running bool
	closed  bool
	quit    chan struct{}
	wg      sync.WaitGroup

	// the tick's scratch, reused
	snap      []*Member
	toneSnap  []Source
	in, out   [][]int16
	bufIn     [][]int16
	bufOut    [][]int16
	toneEnded []Source
}

// NewRoom returns an empty room; its goroutine starts with the first
// member.
func NewRoom(cfg RoomConfig, opts ...RoomOption) *Room {
	r := &Room{cfg: cfg, clock: clock.New(), log: slog.New(slog.DiscardHandler), mixer: NewMixer(), quit: make(chan struct{})}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Name is the room's name (its number).
func (r *Room) Name() string { return r.cfg.Name }

// Len returns the number of members.
func (r *Room) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

// Full reports whether the room has no seat left.
func (r *Room) Full() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fullLocked()
}

func (r *Room) fullLocked() bool {
	return r.cfg.MaxParties > 0 && len(r.members) >= r.cfg.MaxParties
}

// add seats m (ErrRoomFull, ErrClosed) and starts the room if needed.
func (r *Room) add(m *Member, tone bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return fmt.Errorf("join room %s: %w", r.cfg.Name, ErrClosed)
	case r.fullLocked():
		return fmt.Errorf("join room %s (%d parties): %w", r.cfg.Name, r.cfg.MaxParties, ErrRoomFull)
	}
	r.members = append(r.members, m)
	if tone && r.cfg.JoinTone != nil {
		r.tones = append(r.tones, r.cfg.JoinTone.Source())
	}
	if !r.running {
		r.running = true
		r.wg.Go(r.loop)
	}
	r.log.Debug("room join", "room", r.cfg.Name, "member", m.name, "parties", len(r.members))
	return nil
}

// remove takes m out of the room (r.mu held); it reports whether m was in.
func (r *Room) removeLocked(m *Member) bool {
	i := slices.Index(r.members, m)
	if i < 0 {
		return false
	}
	r.members = slices.Delete(r.members, i, i+1)
	if m.tones && r.cfg.LeaveTone != nil && len(r.members) > 0 {
		r.tones = append(r.tones, r.cfg.LeaveTone.Source())
	}
	r.log.Debug("room leave", "room", r.cfg.Name, "member", m.name, "parties", len(r.members))
	return true
}

// Close removes every member and stops the room's goroutine. Idempotent.
func (r *Room) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	members := r.members
	r.members, r.tones = nil, nil
	close(r.quit)
	r.mu.Unlock()
	for _, m := range members {
		m.detach()
	}
	r.wg.Wait()
	return nil
}

// loop ticks every FrameDuration until the room is empty or closed.
func (r *Room) loop() {
	next := r.clock.Now()
	for {
		next = next.Add(FrameDuration)
		now := r.clock.Now()
		if now.Sub(next) > roomMaxLag {
			r.log.Debug("room fell behind", "room", r.cfg.Name, "lag", now.Sub(next))
			next = now
		}
		if wait := next.Sub(now); wait > 0 {
			select {
			case <-r.clock.After(wait):
			case <-r.quit:
				return
			}
		}
		if !r.tick() {
			return
		}
	}
}

// tick mixes one frame period: one frame from each talking member and each
// tone, each member's N−1 mix to its output. It reports false (and marks
// the room stopped) when nothing is left to mix.
func (r *Room) tick() bool {
	r.mu.Lock()
	if r.closed {
		r.running = false
		r.mu.Unlock()
		return false
	}
	// members whose endpoint closed (their call ended) leave now
	for i := len(r.members) - 1; i >= 0; i-- {
		if m := r.members[i]; m.gone() {
			r.removeLocked(m)
			defer m.detach()
		}
	}
	if len(r.members) == 0 && len(r.tones) == 0 {
		r.running = false
		r.mu.Unlock()
		return false
	}
	r.snap = append(r.snap[:0], r.members...)
	r.toneSnap = append(r.toneSnap[:0], r.tones...)
	r.mu.Unlock()

	n := len(r.snap) + len(r.toneSnap)
	r.grow(n)
	for i, m := range r.snap {
		r.in[i], r.out[i] = nil, nil
		if m.talks && m.pop(r.bufIn[i]) {
			r.in[i] = r.bufIn[i]
		}
		if m.holding() {
			r.in[i] = nil // away: not mixed (MuteOnHold)
		}
		if m.out != nil {
			r.out[i] = r.bufOut[i]
		}
	}
	r.toneEnded = r.toneEnded[:0]
	for j, src := range r.toneSnap {
		k := len(r.snap) + j
		buf := r.bufIn[k]
		got, err := src.Read(buf)
		clear(buf[max(0, got):])
		r.in[k], r.out[k] = buf, nil
		if err != nil {
			r.toneEnded = append(r.toneEnded, src)
		}
	}
	if err := r.mixer.Mix(r.in[:n], r.out[:n]); err != nil {
		r.log.Warn("room mix", "room", r.cfg.Name, "error", err) // cannot happen: every frame is FrameSamples
	}
	for i, m := range r.snap {
		if r.out[i] != nil {
			m.out.Write(r.out[i])
		}
		m.checkIdle()
	}
	if len(r.toneEnded) > 0 {
		r.mu.Lock()
		r.tones = slices.DeleteFunc(r.tones, func(s Source) bool { return slices.Contains(r.toneEnded, s) })
		r.mu.Unlock()
	}
	return true
}

// grow sizes the tick's scratch for n inputs.
func (r *Room) grow(n int) {
	for len(r.bufIn) < n {
		r.bufIn = append(r.bufIn, make([]int16, FrameSamples))
		r.bufOut = append(r.bufOut, make([]int16, FrameSamples))
	}
	if cap(r.in) < n {
		r.in = make([][]int16, n, 2*n)
		r.out = make([][]int16, n, 2*n)
	}
	r.in, r.out = r.in[:n], r.out[:n]
}

// ConferenceTones renders the join and leave tones of a tone plan: the
// join tone is the plan's confirmation tone (three short bursts, once);
// the leave tone one 400 ms burst of the same frequencies at the same
// level, so the two are told apart by their cadence.
func ConferenceTones(plan *TonePlan) (join, leave *Clip, err error) {
	spec, err := plan.Spec(ToneConfirmation)
	if err != nil {
		return nil, nil, fmt.Errorf("conference tones: %w", err)
	}
	spec.Loop = false
	var freqs []float64
	for _, seg := range spec.Segments {
		if len(seg.Freqs) > 0 {
			freqs = seg.Freqs
			break
		}
	}
	leaveSpec := ToneSpec{Segments: []Segment{{Freqs: freqs, Duration: 400 * time.Millisecond}}, Level: spec.Level}
	return renderTone(spec).clip, renderTone(leaveSpec).clip, nil
}

package media

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/zaf/g711"

	"pbxlab/internal/clock"
)

// Pacer sends the audio of every Player it runs, one 20 ms G.711 frame per
// player per tick, from ONE goroutine on one clock: a thousand prompts or
// held parties cost one loop, not a thousand goroutines or timers. The
// goroutine runs only while a player is active (a server on a virtual
// clock with nothing to play has no timer pending). Safe for concurrent
// use.
type Pacer struct {
	clock clock.Clock

	mu      sync.Mutex
	players map[*Player]struct{}
	running bool          // the loop goroutine is alive
	stop    chan struct{} // closed by Close
	closed  bool
	wg      sync.WaitGroup
}

// NewPacer returns a pacer on clock c (nil: the wall clock).
func NewPacer(c clock.Clock) *Pacer {
	if c == nil {
		c = clock.New()
	}
	return &Pacer{clock: c, players: map[*Player]struct{}{}, stop: make(chan struct{})}
}

// Player plays one Source to one Endpoint: G.711 in the codec the leg
// negotiated (µ-law or A-law; a leg with neither gets nothing), in its own
// RTP stream (random SSRC, sequence and timestamp origin, marker on the
// first packet). While it plays, the endpoint's relayed audio is held back
// (Endpoint.SetOverride): the leg hears the player alone.
type Player struct {
	p    *Pacer
	ep   *Endpoint
	src  Source
	done func(error)

	// owned by the pacer's tick (one at a time)
	seq   uint16
	ts    uint32
	ssrc  uint32
	first bool
	frame [FrameSamples]int16
	pkt   [12 + FrameSamples]byte

	once sync.Once
}

// Play starts playing src to ep; done (may be nil) runs once when the
// source ends (nil error), the player is stopped (ErrClosed) or the source
// fails (its error). It runs on the pacer's goroutine and must not block.
func (p *Pacer) Play(ep *Endpoint, src Source, done func(error)) *Player {
	pl := &Player{p: p, ep: ep, src: src, done: done, seq: uint16(rand.Uint32()), ts: rand.Uint32(), ssrc: rand.Uint32(), first: true}
	ep.SetOverride(true)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		pl.finish(ErrClosed)
		return pl
	}
	p.players[pl] = struct{}{}
	if !p.running {
		p.running = true
		p.wg.Go(p.loop)
	}
	p.mu.Unlock()
	return pl
}

// Stop ends the playback (done gets ErrClosed) and gives the endpoint its
// relayed audio back. Idempotent; a player that ended already is left as is.
func (pl *Player) Stop() {
	pl.p.mu.Lock()
	_, active := pl.p.players[pl]
	delete(pl.p.players, pl)
	pl.p.mu.Unlock()
	if active {
		pl.finish(ErrClosed)
	}
}

func (pl *Player) finish(err error) {
	pl.once.Do(func() {
		pl.ep.SetOverride(false)
		if pl.done != nil {
			pl.done(err)
		}
	})
}

// Active is the number of players running.
func (p *Pacer) Active() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.players)
}

// Close stops every player (each done gets ErrClosed) and refuses new ones.
func (p *Pacer) Close() {
	p.mu.Lock()
	players := make([]*Player, 0, len(p.players))
	for pl := range p.players {
		players = append(players, pl)
	}
	clear(p.players)
	if !p.closed {
		p.closed = true
		close(p.stop)
	}
	p.mu.Unlock()
	for _, pl := range players {
		pl.finish(ErrClosed)
	}
	p.wg.Wait()
}

// maxCatchUp is how late a tick may be before the pacer gives up catching
// up (it then restarts its schedule from now instead of sending a burst).
const maxCatchUp = 5 * FrameDuration

// loop ticks every 20 ms on a fixed grid (no drift; a tick more than
// maxCatchUp late restarts the grid rather than sending a burst) until no
// player is left or the pacer closes.
func (p *Pacer) loop() {
	next := p.clock.Now()
	for p.tick() {
		now := p.clock.Now()
		next = next.Add(FrameDuration)
		if now.Sub(next) > maxCatchUp {
			next = now.Add(FrameDuration)
		}
		select {
		case <-p.clock.After(max(0, next.Sub(now))):
		case <-p.stop:
			return
		}
	}
}

// tick sends one frame of every active player; false when none is left
// (the loop then ends: the next Play starts another).
func (p *Pacer) tick() bool {
	p.mu.Lock()
	if p.closed || len(p.players) == 0 {
		p.running = false
		p.mu.Unlock()
		return false
	}
	players := make([]*Player, 0, len(p.players))
	for pl := range p.players {
		players = append(players, pl)
	}
	p.mu.Unlock()

	var ended []*Player
	var errs []error
	for _, pl := range players {
		if err := pl.step(); err != nil {
			ended, errs = append(ended, pl), append(errs, err)
		}
	}
	p.mu.Lock()
	for _, pl := range ended {
		delete(p.players, pl)
	}
	p.mu.Unlock()
	for i, pl := range ended {
		err := errs[i]
		if err == io.EOF {
			err = nil
		}
		pl.finish(err)
	}
	return true
}

// step sends the player's next frame; a non-nil error (io.EOF at the end)
// ends it after that frame.
func (pl *Player) step() error {
	n, err := pl.src.Read(pl.frame[:])
	if n > 0 || err == nil {
		clear(pl.frame[max(0, n):])
		pl.send()
	}
	if err == nil && n < FrameSamples {
		err = io.ErrNoProgress
	}
	return err
}

// send encodes the frame for the leg and sends it as one RTP packet.
func (pl *Player) send() {
	m := pl.ep.Leg()
	if m == nil {
		return
	}
	c, ok := m.AudioCodec()
	if !ok {
		return
	}
	alaw := strings.EqualFold(c.Name, "PCMA")
	if !alaw && !strings.EqualFold(c.Name, "PCMU") {
		return // G.722 only: the player speaks G.711
	}
	b := pl.pkt[:]
	b[0] = 0x80
	b[1] = c.PT & 0x7f
	if pl.first {
		b[1] |= 0x80
		pl.first = false
	}
	binary.BigEndian.PutUint16(b[2:], pl.seq)
	binary.BigEndian.PutUint32(b[4:], pl.ts)
	binary.BigEndian.PutUint32(b[8:], pl.ssrc)
	for i, v := range pl.frame {
		if alaw {
			b[12+i] = g711.EncodeAlawFrame(v)
		} else {
			b[12+i] = g711.EncodeUlawFrame(v)
		}
	}
	pl.seq++
	pl.ts += FrameSamples
	_ = pl.ep.Send(b)
}

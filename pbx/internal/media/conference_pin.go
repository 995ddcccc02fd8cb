package media

import (
	"strings"
	"sync"
	"time"

	"pbxlab/internal/clock"
)

// PINTimeout is how long a caller has to key a conference room's PIN.
const PINTimeout = 30 * time.Second

// PINAttempts is how many wrong PINs a caller may key before it is let go.
const PINAttempts = 3

// AwaitPIN listens on ep for the caller keying pin in RFC 4733 DTMF: the
// digits end with # or once as many as the PIN's were keyed. done(true)
// runs once the right PIN came; done(false) after PINAttempts wrong ones
// or PINTimeout. done runs once, on the endpoint's receive goroutine or
// the clock's; the caller hears silence meanwhile (no prompt yet).
func AwaitPIN(ep *Endpoint, pin string, clk clock.Clock, done func(ok bool)) {
	g := &pinGate{pin: pin, clock: clk, col: NewDTMFCollector(0), done: done}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.unhook = hookReceiver(ep, g)
	g.timer = clk.AfterFunc(PINTimeout, func() { g.finish(false) })
}

type pinGate struct {
	pin    string
	clock  clock.Clock
	done   func(bool)
	unhook func()
	timer  clock.Timer

	mu       sync.Mutex
	col      *DTMFCollector
	keyed    []byte
	attempts int
	over     bool
}

// ReceiveRTP implements Receiver: telephone-events become digits.
func (g *pinGate) ReceiveRTP(_ *Endpoint, h Header, payload []byte) {
	if !strings.EqualFold(h.Codec.Name, "telephone-event") {
		return
	}
	g.mu.Lock()
	now := g.clock.Now()
	digits := g.col.Tick(now)
	more, err := g.col.Packet(h.Timestamp, payload, now)
	if err == nil {
		digits = append(digits, more...)
	}
	verdict := 0 // 1 right, -1 given up
	for _, d := range digits {
		if g.over || verdict != 0 {
			break
		}
		if d.Digit != '#' {
			g.keyed = append(g.keyed, d.Digit)
		}
		if d.Digit != '#' && len(g.keyed) < len(g.pin) {
			continue
		}
		if string(g.keyed) == g.pin {
			verdict = 1
			break
		}
		g.keyed = g.keyed[:0]
		if g.attempts++; g.attempts >= PINAttempts {
			verdict = -1
		}
	}
	g.mu.Unlock()
	if verdict != 0 {
		g.finish(verdict > 0)
	}
}

func (g *pinGate) finish(ok bool) {
	g.mu.Lock()
	if g.over {
		g.mu.Unlock()
		return
	}
	g.over = true
	g.mu.Unlock()
	g.timer.Stop()
	g.unhook()
	g.done(ok)
}

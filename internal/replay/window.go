package replay

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"pbxlab/internal/sipwire"
)

// window is one cut of the capture (see Windowing): its plan and what
// the live run of it recorded, until it is compared and dropped.
type window struct {
	seq        int
	plan       *plan
	open       counter     // expected messages not settled
	handledAt  []time.Time // when each step was settled
	regExpects []int       // the expected messages of REGISTER legs
	regLowest  int         // the first of them not known settled
	records    []record
	active     int
	waiting    []*leg // legs whose next send awaits expected messages
	timers     []*time.Timer
	dialogs    int // its Call-IDs
	// doneAt: every leg ended; lastEvent: the target's last message to
	// one of its legs.
	doneAt, lastEvent time.Time
}

// Retained is what the replayer held at once: windows, their dialogs, and
// the captured and live SIP messages they kept (with the capture's
// messages read ahead of the windows).
type Retained struct {
	Windows, Dialogs, Messages int
}

// maxRetiring is how many windows that ended still take the target's
// late messages while the next one runs.
const maxRetiring = 1

// firstWindow cuts and plans the capture's first window with SUT
// messages.
func (r *Replayer) firstWindow() error {
	for {
		msgs := r.src.cut()
		if len(msgs) == 0 && r.src.exhausted() {
			if r.src.err != nil {
				return fmt.Errorf("replay %s: %w", r.cfg.Capture, r.src.err)
			}
			return fmt.Errorf("replay: %w", ErrNoSIP)
		}
		w, err := r.newWindow(msgs, r.cfg.SUT)
		if errors.Is(err, ErrNoSIP) && !r.src.exhausted() {
			continue
		}
		if err != nil {
			return err
		}
		r.window, r.sut = w, w.plan.sut[0]
		if r.cfg.SUT.IsValid() {
			r.sut = r.cfg.SUT
		}
		return nil
	}
}

// nextWindow cuts and plans the next window (nil: the capture is over).
func (r *Replayer) nextWindow() (*window, error) {
	for !r.src.exhausted() {
		msgs := r.src.cut()
		if len(msgs) == 0 {
			continue
		}
		w, err := r.newWindow(msgs, r.sut)
		if errors.Is(err, ErrNoSIP) {
			continue // no message to or from the SUT in this cut
		}
		return w, err
	}
	return nil, nil
}

func (r *Replayer) newWindow(msgs []sipwire.Message, sut netip.AddrPort) (*window, error) {
	p, err := newPlan(msgs, sut, r.partyFor)
	if err != nil {
		return nil, err
	}
	r.seq++
	w := &window{seq: r.seq, plan: p}
	ids := map[string]bool{}
	for _, m := range p.msgs {
		ids[callIDOf(m)] = true
	}
	w.dialogs = len(ids)
	for _, lg := range p.legs {
		lg.w = w
	}
	for _, pt := range p.parties {
		pt.lastWindow = w.seq
	}
	r.retain(1, w.dialogs, len(p.msgs))
	return w, nil
}

// partyFor is the open party of a captured address, or a new one.
func (r *Replayer) partyFor(addr netip.AddrPort, proto string, sut netip.AddrPort) *party {
	if p := r.parties[addr]; p != nil {
		return p
	}
	r.partyIDs++
	p := &party{id: r.partyIDs, addr: addr, proto: proto, sut: sut, byCall: map[string]*leg{}, seen: map[uint64]int{}}
	r.parties[addr] = p
	return p
}

// retain counts what the replayer holds (negative: dropped) and keeps
// the peak.
func (r *Replayer) retain(windows, dialogs, msgs int) {
	h := &r.held
	h.Windows += windows
	h.Dialogs += dialogs
	h.Messages += msgs
	p := &r.peak
	p.Windows = max(p.Windows, h.Windows)
	p.Dialogs = max(p.Dialogs, h.Dialogs)
	p.Messages = max(p.Messages, h.Messages+len(r.src.pending))
}

// runWindow opens the window's parties and runs its legs to their end.
func (r *Replayer) runWindow(ctx context.Context, w *window) error {
	r.window = w
	for _, p := range w.plan.parties {
		if p.conn != nil {
			continue
		}
		if err := p.open(ctx, r.net, r.target); err != nil {
			return err
		}
		r.wg.Add(1)
		go func(p *party) {
			defer r.wg.Done()
			p.read(r.events, r.stop)
		}(p)
	}
	if err := r.openMedia(ctx); err != nil {
		return err
	}
	r.log.Info("replay", "target", r.target, "window", w.seq, "parties", len(w.plan.parties), "legs", len(w.plan.legs), "messages", len(w.plan.steps))
	return r.loop(ctx)
}

// retire ends a window's run: it keeps taking the target's messages for
// its legs until quiet (finalizeQuiet), or until the next one ends.
func (r *Replayer) retire(w *window) {
	for _, t := range w.timers {
		t.Stop()
	}
	w.timers = nil
	w.doneAt = time.Now()
	r.retiring = append(r.retiring, w)
	for len(r.retiring) > maxRetiring {
		r.finalize()
	}
}

// finalizeQuiet compares and drops the windows that ended and have been
// quiet for lingerQuiet (at most the timeout after they ended).
func (r *Replayer) finalizeQuiet(now time.Time) {
	quiet := min(lingerQuiet, r.cfg.Timeout)
	for len(r.retiring) > 0 {
		w := r.retiring[0]
		last := w.doneAt
		if w.lastEvent.After(last) {
			last = w.lastEvent
		}
		if now.Sub(last) < quiet && now.Sub(w.doneAt) < r.cfg.Timeout {
			return
		}
		r.finalize()
	}
}

// finalize compares the oldest retiring window with its capture, keeps
// the verdicts and drops the rest.
func (r *Replayer) finalize() {
	w := r.retiring[0]
	r.retiring = slices.Delete(r.retiring, 0, 1) // clears the slot: w is dropped
	r.merge(r.compare(w))
	r.retiredOld, r.retired = r.retired, map[string]bool{}
	for _, lg := range w.plan.legs {
		p := lg.party
		if id := lg.live.callID; id != "" {
			r.retired[id] = true
			if p.byCall[id] == lg {
				delete(p.byCall, id)
			}
		}
		if lg.stream != nil && lg.stream.conn != nil {
			_ = lg.stream.conn.Close()
		}
	}
	for _, p := range w.plan.parties {
		p.unbound = slices.DeleteFunc(p.unbound, func(l *leg) bool { return l.w == w })
	}
	for _, p := range r.parties {
		maps.DeleteFunc(p.seen, func(_ uint64, seq int) bool { return seq <= w.seq })
	}
	r.retain(-1, -w.dialogs, -(len(w.plan.msgs) + len(w.records)))
	r.closeIdleParties()
}

// closeIdleParties closes the connections of parties no live window uses,
// beyond Windowing.Parties.
func (r *Replayer) closeIdleParties() {
	oldest := r.window.seq
	if len(r.retiring) > 0 {
		oldest = r.retiring[0].seq
	}
	for a, p := range r.parties {
		if len(r.parties) <= r.cfg.Window.Parties {
			return
		}
		if p.lastWindow >= oldest {
			continue
		}
		p.closed = true
		if p.conn != nil {
			_ = p.conn.Close()
		}
		delete(r.parties, a)
	}
}

// isRetired: a live Call-ID of a dialog already compared (the target's
// late retransmission).
func (r *Replayer) isRetired(id string) bool {
	return r.retired[id] || r.retiredOld[id]
}

package replay

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"
)

// onEvent takes a message from the target.
func (r *Replayer) onEvent(ev event) error {
	if ev.err != nil {
		if !r.gotAny && errors.Is(ev.err, syscall.ECONNREFUSED) {
			return fmt.Errorf("replay: %s refused: %w", r.target, ErrUnreachable)
		}
		r.log.Debug("replay: read", "party", ev.party.addr, "err", ev.err)
		return nil
	}
	r.gotAny, r.progress = true, ev.at
	p := ev.party
	if p.closed {
		return nil // an idle party's last read
	}
	h := fnv.New64a()
	_, _ = h.Write(ev.raw)
	sum := h.Sum64()
	if _, ok := p.seen[sum]; ok {
		r.retransmitted(p, ev.msg)
		return nil // a retransmission
	}
	id := ""
	if c := ev.msg.CallID(); c != nil {
		id = c.Value()
	}
	if p.byCall[id] == nil && (r.isRetired(id) || strings.HasSuffix(id, "-"+r.runID)) {
		r.late++
		return nil // a dialog already compared
	}
	p.seen[sum] = r.window.seq
	r.received++
	if r.capture != nil {
		r.tap(p, ev.raw, false)
	}
	lg := p.byCall[id]
	if lg == nil {
		if req, ok := ev.msg.(*sip.Request); ok {
			lg = p.bind(req)
		}
		if lg != nil {
			lg.live.callID = id
			p.byCall[id] = lg
		}
	}
	if lg == nil {
		r.recordIn(r.window, p, ev, len(r.plan.steps))
		r.unplanned(p, nil, ev.msg)
		return nil
	}
	lg.w.lastEvent = ev.at
	if j := r.findMatch(lg, ev.msg); j >= 0 {
		r.take(lg, j, ev)
		return nil
	}
	key := len(lg.w.plan.steps)
	if c := lg.live.cursor; c > 0 {
		key = lg.steps[min(c, len(lg.steps))-1].idx
	}
	r.recordIn(lg.w, p, ev, key)
	r.unplanned(p, lg, ev.msg)
	return nil
}

// bind gives a live request with a new Call-ID to the first leg of the
// party the SUT starts with that method (the same Request-URI user
// preferred).
func (p *party) bind(req *sip.Request) *leg {
	best := -1
	for i, lg := range p.unbound {
		c, ok := lg.steps[0].msg.Msg.(*sip.Request)
		if !ok || c.Method != req.Method {
			continue
		}
		if c.Recipient.User == req.Recipient.User {
			best = i
			break
		}
		if best < 0 {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	lg := p.unbound[best]
	// slices.Delete clears the vacated slot: no stale leg (and its
	// window) kept alive by the party
	p.unbound = slices.Delete(p.unbound, best, best+1)
	return lg
}

// lingerQuiet is how long the replay keeps listening once every leg is
// done, after the target's last message: what the target sends then (a
// BYE the capture lacks, a NOTIFY) is recorded as an extra message of its
// dialog, not lost.
const lingerQuiet = 500 * time.Millisecond

// linger takes the target's messages until it has been quiet for
// lingerQuiet (at most the timeout in all).
func (r *Replayer) linger(ctx context.Context) error {
	quiet := min(lingerQuiet, r.cfg.Timeout)
	deadline := time.NewTimer(r.cfg.Timeout)
	defer deadline.Stop()
	idle := time.NewTimer(quiet)
	defer idle.Stop()
	for {
		select {
		case ev := <-r.events:
			if err := r.onEvent(ev); err != nil {
				return err
			}
			idle.Reset(quiet)
		case <-r.fires:
		case <-idle.C:
			return nil
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// retransmitted counts the target's retransmissions of final responses to
// INVITEs, per leg: one the party never ACKs (the capture has no ACK for
// it) shows in the report as the target's reaction to the missing ACK.
func (r *Replayer) retransmitted(p *party, m sip.Message) {
	res, ok := m.(*sip.Response)
	if !ok || res.StatusCode < 200 || res.CSeq() == nil || res.CSeq().MethodName != sip.INVITE || res.CallID() == nil {
		return
	}
	lg := p.byCall[res.CallID().Value()]
	if lg == nil {
		return
	}
	if lg.live.resent == nil {
		lg.live.resent = map[uint32]resent{}
	}
	rs := lg.live.resent[res.CSeq().SeqNo]
	rs.label, rs.n = label(res), rs.n+1
	lg.live.resent[res.CSeq().SeqNo] = rs
}

package call

import (
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Detached legs: a service that moves the legs of several calls into one
// conference room of the media server (a three-party call, pbx/threeway.go)
// takes each leg out of its two-party bridge into a bridge of its own. The
// media server is then the leg's far end (a re-INVITE on it, a hold, is
// answered by the LocalMedia seam), and the leg lives on its own: its BYE
// ends it alone (the others stay), gone is told, and the call ends — its
// CDR is written — with its last leg.

// Detach takes the up leg l out of its bridge into one of its own and
// makes it live on its own (see above); gone runs on the executor when
// the leg's peer ends it with BYE (nil: nothing runs). It runs on the
// executor.
func (c *Call) Detach(l *Leg, gone func()) error {
	if !l.Up() {
		return fmt.Errorf("detach %s: %w", l.id, ErrLegNotUp)
	}
	if l.bridge != nil {
		if l.bridge.early == l {
			l.bridge.early = nil
		}
		l.bridge.remove(l)
	}
	c.newBridge(l)
	l.detached, l.gone = true, gone
	return nil
}

// Reoffer re-INVITEs the up leg l with offer (the media server's, when it
// became the leg's far end) and runs done on the executor with the leg's
// answer; a refusal is ErrJoinRefused.
func (c *Call) Reoffer(l *Leg, offer []byte, done func(answer []byte, err error)) {
	if !l.Up() {
		done(nil, fmt.Errorf("reoffer %s: %w", l.id, ErrLegNotUp))
		return
	}
	l.sawSDP = true
	l.noteSDP(offer) // a session refresh re-INVITE repeats it
	c.reinvite(l, offer, func(res *sip.Response, err error) {
		if err == nil && !res.IsSuccess() {
			err = fmt.Errorf("re-INVITE answered %d: %w", res.StatusCode, ErrJoinRefused)
		}
		if err != nil {
			done(nil, fmt.Errorf("reoffer %s: %w", l.id, err))
			return
		}
		done(res.Body(), nil)
	})
}

// Up reports whether the leg's dialog is up (call it on the executor).
func (l *Leg) Up() bool { return l.state.Up() && !l.byeSent }

// byeDetached ends a detached leg alone on its peer's BYE (onBye).
func (c *Call) byeDetached(l *Leg, in *inbound) {
	in.reply(c, sip.NewResponseFromRequest(in.req, 200, "OK", nil))
	l.event(EvEnd)
	if g := l.gone; g != nil {
		l.gone = nil
		g()
	}
	c.endIfIdle()
}

// EndWith ends leg l like End, its BYE carrying the given Reason headers
// (RFC 3326).
func (c *Call) EndWith(l *Leg, reasons ...sip.Header) { c.endLeg(l, reasons) }

// endDetached ends a detached leg from the PBX's side (its session timer
// expired): BYE on it alone, gone told.
func (c *Call) endDetached(l *Leg, why string) {
	c.log.Warn("detached leg ended", "leg", l.id, "why", why)
	l.st.stop()
	c.endLeg(l, nil)
	if g := l.gone; g != nil {
		l.gone = nil
		g()
	}
}

package call

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// The call operations. Today's flows are built from them (Fork, and the
// answer and join of setup); services drive a call through them. All run
// on the call's executor: call them from a Policy hook, a Decision.Service,
// or a callback they were given.

// Originate calls t from the PBX on behalf of the call: a new UAC leg whose
// INVITE carries offer, as the seam of from's bridge maps it (the new leg
// joins that bridge), or no offer (nil), in which case the leg's 2xx offer
// waits un-ACKed for Join to bring it an answer. progress gets every
// response; with an offer the 2xx is ACKed before progress sees it.
func (c *Call) Originate(t Target, from *Leg, offer []byte, progress func(l *Leg, res *sip.Response)) (*Leg, error) {
	if len(offer) > 0 && (from == nil || from.bridge == nil) {
		// an offer crosses the PBX only through a bridge's seam
		return nil, fmt.Errorf("originate to %s: %w", t.Dest, ErrNotBridged)
	}
	b, err := c.originate(t, from, offer, func(b *branch, res *sip.Response) {
		l := c.branchLeg(b, res)
		switch {
		case res.StatusCode < 200:
			b.provisional = true
			if b.cancelPending && !b.cancelSent {
				c.sendCancel(b)
				return
			}
			if tagOf(res.To().Params) != "" {
				l.event(EvEarly)
			}
		case res.IsSuccess():
			if l.state == LegAnswered || l.state == LegConfirmed || b.final != nil {
				c.onUAC2xx(l, res)
				return
			}
			b.final = res
			l.event(EvAnswer)
			l.refreshTarget(res)
			c.timerFrom2xx(l, res)
			if len(b.invite.Body()) > 0 {
				c.ack(l, res.CSeq().SeqNo, c.answerFor(l, res))
			} else if hasSDP(res) {
				l.lateOffer = &pendingOffer{sdp: res.Body(), seq: res.CSeq().SeqNo}
			}
		default:
			if b.final == nil {
				b.final = res
			}
			l.event(EvReject)
		}
		if progress != nil {
			progress(l, res)
		}
	})
	if err != nil {
		return nil, err
	}
	return b.legs[0], nil
}

// answerFor passes the answer in a 2xx on l back through l's bridge and
// returns nothing: the ACK of an offer-in-INVITE carries no body.
func (c *Call) answerFor(l *Leg, res *sip.Response) []byte {
	if l.bridge != nil && hasSDP(res) {
		for _, o := range l.bridge.Legs() {
			if o != l {
				if _, err := l.bridge.answer(l, o, res.Body()); err != nil {
					c.log.Warn("answer through the media seam", "leg", l.id, "error", err)
				}
			}
		}
	}
	return nil
}

// Cancel stops a leg the PBX originated that has not answered (CANCEL,
// RFC 3261 §9.1); a leg that is up gets BYE instead.
func (c *Call) Cancel(l *Leg) {
	switch {
	case l.state.Up() && l.state != LegEarly:
		c.bye(l, nil)
	case l.branch != nil:
		c.cancelBranch(l.branch, nil)
	}
}

// Answer answers a UAS leg's pending INVITE with 200 and body; onAck gets
// its ACK. The 2xx is retransmitted until then (RFC 3261 §13.3.1.4).
func (c *Call) Answer(l *Leg, body []byte, onAck func(*sip.Request)) error {
	if l.inv == nil || l.inv.ok != nil {
		return fmt.Errorf("answer leg %s: %w", l.id, ErrNoPendingInvite)
	}
	if l == c.a {
		c.setPhase(phaseAnswered)
		c.rec.Answer = c.m.clock.Now()
	}
	l.event(EvAnswer)
	c.respondInvite(l.inv, c.inviteResponse(l.inv, 200, "OK", body), onAck)
	return nil
}

// Join bridges legs x and y, both up, by third-party call control (RFC
// 3725 §4.1): x's offer — the one its un-ACKed 2xx carries, or a fresh one
// asked for with a re-INVITE without SDP — goes to y in a re-INVITE through
// the new bridge's seam, and y's answer returns to x in the ACK. done runs
// on the executor with the outcome.
func (c *Call) Join(x, y *Leg, done func(*Bridge, error)) {
	if !x.state.Up() || !y.state.Up() {
		done(nil, fmt.Errorf("join %s and %s: %w", x.id, y.id, ErrLegNotUp))
		return
	}
	b := c.newBridge(x, y)
	withOffer := func(offer []byte, ackX func([]byte)) {
		// a failed join still ACKs x's 2xx, with an answer declining
		// every stream of its offer (RFC 3261 §13.2.2.4)
		decline := func() { d, _ := sdpneg.Decline(offer); ackX(d) }
		off, err := b.offer(x, y, offer)
		if err != nil {
			decline()
			done(nil, fmt.Errorf("join %s and %s: %w", x.id, y.id, err))
			return
		}
		c.reinvite(y, off, func(res *sip.Response, err error) {
			if err == nil && !res.IsSuccess() {
				err = fmt.Errorf("re-INVITE answered %d: %w", res.StatusCode, ErrJoinRefused)
			}
			if err != nil {
				decline()
				done(nil, fmt.Errorf("join %s and %s: %w", x.id, y.id, err))
				return
			}
			ans, err := b.answer(y, x, res.Body())
			ackX(ans)
			done(b, err)
		})
	}
	if p := x.lateOffer; p != nil {
		x.lateOffer = nil
		withOffer(p.sdp, func(ans []byte) { c.ack(x, p.seq, ans) })
		return
	}
	c.reinvite(x, nil, func(res *sip.Response, err error) {
		if err == nil && (!res.IsSuccess() || !hasSDP(res)) {
			err = fmt.Errorf("offerless re-INVITE answered %d: %w", res.StatusCode, ErrJoinRefused)
		}
		if err != nil {
			done(nil, fmt.Errorf("join %s and %s: %w", x.id, y.id, err))
			return
		}
		seq := res.CSeq().SeqNo
		withOffer(res.Body(), func(ans []byte) { c.ack(x, seq, ans) })
	})
}

// reinvite sends a re-INVITE on l with body (nil: ask for an offer) and
// runs then with its final response; a 2xx that answered our offer is
// ACKed here, one carrying an offer is left for then to ACK. While a 2xx
// the PBX sent on l waits for its ACK, the re-INVITE waits too (RFC 3261
// §14.1: no new INVITE on a dialog while one is in progress), as a BYE
// does.
func (c *Call) reinvite(l *Leg, body []byte, then func(*sip.Response, error)) {
	c.reinviteTry(l, body, nil, then, 0)
}

// reinviteWith is reinvite with dec adding headers to each INVITE sent.
func (c *Call) reinviteWith(l *Leg, body []byte, dec func(*sip.Request), then func(*sip.Response, error)) {
	c.reinviteTry(l, body, dec, then, 0)
}

// glareRetries is how many times a re-INVITE of the PBX's own that met
// 491 is sent again.
const glareRetries = 2

// glareDelay is how long to wait before sending again a re-INVITE that
// met 491 (RFC 3261 §14.1): 2.1 to 4 s in 10 ms steps when the PBX chose
// the dialog's Call-ID (it sent the INVITE: a UAC leg), 0 to 2 s when the
// phone did, so that the two sides do not collide again.
func glareDelay(l *Leg) time.Duration {
	if l.role == UAC {
		return 2100*time.Millisecond + time.Duration(rand.IntN(191))*10*time.Millisecond
	}
	return time.Duration(rand.IntN(201)) * 10 * time.Millisecond
}

func (c *Call) reinviteTry(l *Leg, body []byte, dec func(*sip.Request), then func(*sip.Response, error), try int) {
	if si := l.inv; si.waitingAck() {
		si.afterAck = append(si.afterAck, func() {
			if si.gaveUp {
				then(nil, fmt.Errorf("re-INVITE leg %s: no ACK for its 2xx: %w", l.id, ErrLegNotUp))
				return
			}
			c.reinviteTry(l, body, dec, then, try)
		})
		return
	}
	ct := ""
	if len(body) > 0 {
		ct = "application/sdp"
	}
	out := l.request(c.m.deps.Token, sip.INVITE, l.nextSeq(), body, ct, -1)
	if dec != nil {
		dec(out)
	}
	c.sendRequest(l, out, func(res *sip.Response, err error) {
		if err == nil && res.StatusCode == 491 && try < glareRetries {
			d := glareDelay(l)
			c.log.Debug("re-INVITE glare: sending again", "leg", l.id, "after", d)
			c.after(d, func() {
				if c.phase == phaseEnded || !l.state.Up() {
					then(nil, fmt.Errorf("re-INVITE leg %s after glare: %w", l.id, ErrLegNotUp))
					return
				}
				c.reinviteTry(l, body, dec, then, try+1)
			})
			return
		}
		if err == nil && res.IsSuccess() {
			l.refreshTarget(res)
			if len(body) > 0 {
				c.ack(l, res.CSeq().SeqNo, nil)
			}
		}
		then(res, err)
	})
}

// Split takes every leg out of bridge b: each keeps its dialog and the
// media it last negotiated (with the pass-through seam, the phones keep
// sending to each other until one of them is re-INVITEd).
func (c *Call) Split(b *Bridge) []*Leg {
	legs := b.Legs()
	for _, l := range legs {
		b.remove(l)
	}
	return legs
}

// Replace puts leg n in old's place: old's bridge is split, old is ended
// with BYE, and the leg that stays is joined with n (Join). This is the
// core of a transfer.
func (c *Call) Replace(old, n *Leg, done func(*Bridge, error)) {
	b := old.bridge
	if b == nil {
		done(nil, fmt.Errorf("replace %s: %w", old.id, ErrNotBridged))
		return
	}
	stay := b.other(old)
	if stay == nil {
		done(nil, fmt.Errorf("replace %s: %w", old.id, ErrNotBridged))
		return
	}
	c.Split(b)
	c.bye(old, nil)
	c.Join(n, stay, done)
}

// Mixer is a Media seam that can carry more than two legs (a conference
// bridge of the media server). Add returns the offer for a leg joining.
type Mixer interface {
	Media
	Add(l *Leg) ([]byte, error)
}

// Add puts leg l into bridge b as one more party: only a bridge whose seam
// mixes (Mixer) can hold more than two legs. l is re-INVITEd with the
// mixer's offer and its answer returns through the seam.
func (c *Call) Add(b *Bridge, l *Leg, done func(error)) {
	mx, ok := b.media.(Mixer)
	if !ok {
		done(fmt.Errorf("add %s: %w", l.id, ErrNeedsMixer))
		return
	}
	if !l.state.Up() {
		done(fmt.Errorf("add %s: %w", l.id, ErrLegNotUp))
		return
	}
	if l.lateOffer != nil {
		// its 2xx carries an offer the mixer cannot answer: Join it first
		done(fmt.Errorf("add %s: %w", l.id, ErrPendingOffer))
		return
	}
	offer, err := mx.Add(l)
	if err != nil {
		done(fmt.Errorf("add %s: %w", l.id, err))
		return
	}
	b.add(l)
	c.reinvite(l, offer, func(res *sip.Response, err error) {
		if err == nil && !res.IsSuccess() {
			err = fmt.Errorf("re-INVITE answered %d: %w", res.StatusCode, ErrJoinRefused)
		}
		if err == nil {
			_, err = b.media.Answer(l, nil, res.Body())
		}
		if err != nil {
			b.remove(l)
		}
		done(err)
	})
}

// Reject ends the caller's pending INVITE with err's response (the one
// error→SIP map) and records the attempt.
func (c *Call) Reject(err error) { c.failWith(err) }

// Hangup ends the call from the PBX's side: BYE on every leg that is up,
// or, while it rings, CANCEL the branches and 480 to the caller.
func (c *Call) Hangup(why string) { c.terminate(why) }

// Do runs f on the call's executor (for code outside it: a media timeout,
// a service's timer). f must not block.
func (c *Call) Do(f func()) { c.ex.post(f) }

// Progress sends a provisional response (180 or 183) with body (early
// media: a tone or an announcement the media server plays) on a UAS leg's
// pending INVITE. The call keeps ringing; a Reject or Answer ends the
// INVITE later.
func (c *Call) Progress(l *Leg, code int, reason string, body []byte) error {
	if l.inv == nil || l.inv.ok != nil || code <= 100 || code >= 200 {
		return fmt.Errorf("progress %d on leg %s: %w", code, l.id, ErrNoPendingInvite)
	}
	l.event(EvEarly)
	c.respondInvite(l.inv, c.inviteResponse(l.inv, code, reason, body), nil)
	return nil
}

// CallerNumber is the number that placed the call (after Classify).
func (c *Call) CallerNumber() string { return c.rec.Caller }

// CalleeNumber is the number the current decision rings ("" before one).
func (c *Call) CalleeNumber() string { return c.rec.Callee }

// Log is the call's logger (it carries the call's ID).
func (c *Call) Log() *slog.Logger { return c.log }

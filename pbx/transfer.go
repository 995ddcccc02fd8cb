package pbx

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/sipx"
)

// Call transfer (RFC 3515 REFER, RFC 5589): the policy half. The call
// layer carries a transfer out (call/transfer.go); here is who may ask,
// where the target is (number analysis as a call of the transferor's) and
// what the transferor is told (NOTIFYs of message/sipfrag, RFC 3515 §2.4.4).
//
// Choices (Asterisk's where RFC 5589 leaves room):
//   - the target is analysed as a call from the transferor (its authority
//     and numbering context), but a subscriber target sees the transferee's
//     number (the party it will talk to); a trunk target keeps the caller-ID
//     rules of its route;
//   - while the target rings the transferee stays bridged with the
//     transferor as it was (on hold, typically): nothing is played to it;
//   - the target answers: the transferee and the target are joined (3PCC:
//     the target's offer to the transferee in a re-INVITE), the transferor
//     gets NOTIFY "200 OK" (terminated) and then BYE; the call's record ends
//     "transferred to <target>" and a new record for transferee → target
//     starts (same Call-ID);
//   - the target fails (busy, no answer, rejects): NOTIFY with its status
//     (terminated), the transferee stays with the transferor; if the
//     transferor hung up meanwhile the call ends (the transferee gets BYE);
//   - REFER without exactly one usable Refer-To: 400; a REFER on a leg that
//     is bridged with nobody: 403; while a transfer of the call is in
//     progress: 491; an unknown number: 202 then NOTIFY 404;
//   - Refer-Sub: false (RFC 4488) is honoured: 202 with Refer-Sub: false
//     and no NOTIFY.

// referTimeout bounds the number analysis of a transfer's target.
const referTimeout = 10 * time.Second

// refer is the policy's REFER handler (Policy.InDialog).
func (s *Server) refer(ctx context.Context, r call.InDialogRequest) (*sip.Response, error) {
	req := r.Request
	hs := req.GetHeaders("Refer-To")
	if len(hs) != 1 {
		return sip.NewResponseFromRequest(req, 400, "Bad Request: one Refer-To required", nil), nil
	}
	t, err := parseReferTo(hs[0].Value())
	if err != nil {
		r.Call.Log().Info("REFER refused", "error", err)
		return sip.NewResponseFromRequest(req, 400, "Bad Request: Refer-To", nil), nil
	}
	stay := r.Leg.Other()
	if stay == nil || stay.State() != call.LegConfirmed {
		return sip.NewResponseFromRequest(req, 403, "Forbidden: nothing to transfer", nil), nil
	}
	if r.Call.Transferring() {
		return sip.NewResponseFromRequest(req, 491, "Request Pending", nil), nil // one transfer at a time
	}
	n := &referNotifier{c: r.Call, leg: r.Leg, on: true}
	res := sip.NewResponseFromRequest(req, 202, "Accepted", nil)
	if h := req.GetHeader("Refer-Sub"); h != nil && strings.EqualFold(strings.TrimSpace(h.Value()), "false") {
		n.on = false // RFC 4488: no implicit subscription
		res.AppendHeader(sip.NewHeader("Refer-Sub", "false"))
	}
	c, from := r.Call, r.Leg
	c.Do(func() { // after the 202 is out
		n.send(100, "Trying", false, nil)
		if s.parkTransfer(c, from, stay, t, n) {
			return // a transfer to *6 parks the call (park.go)
		}
		if t.replaces != nil {
			s.transferReplacing(ctx, c, from, stay, t, n)
			return
		}
		s.blindTransfer(ctx, c, from, stay, t, n)
	})
	return res, nil
}

// blindTransfer analyses the target as a call of the transferor's and
// hands the transfer to the call layer.
func (s *Server) blindTransfer(ctx context.Context, c *call.Call, from, stay *call.Leg, t referTarget, n *referNotifier) {
	transferor, transferee := c.Party(from), c.Party(stay)
	in := call.Incoming{Caller: call.Caller{Number: transferor}, Dialled: t.number, Request: referInvite(c.ID(), transferor, t.number)}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, referTimeout)
		defer cancel()
		// number analysis without the intercept announcements: a refusal
		// goes to the transferor as the NOTIFY's status
		d, err := s.route(ctx, in)
		if err == nil {
			d = s.withTimers(s.withCallerID(in, d))
		}
		c.Do(func() {
			if err == nil && d.Kind == call.Reject {
				err = d.Err
			}
			if err != nil {
				code, reason, _ := sipx.StatusOf(err)
				c.Log().Info("transfer target refused", "target", t.number, "status", code)
				n.send(code, reason, true, nil)
				return
			}
			if (d.Kind != call.ToSubscriber && d.Kind != call.ToGroup && d.Kind != call.ToRoute) || len(d.Targets) == 0 {
				n.send(403, "Forbidden", true, nil) // a service or a redirect is no transfer target
				return
			}
			callee := d.Callee
			if callee == "" {
				callee = t.number
			}
			targets := make([]call.Target, len(d.Targets))
			for i, tg := range d.Targets {
				if tg.Peer == "" {
					// not the original caller's display name with the transferee's number
					tg.Identity = &call.Identity{User: transferee, Name: transferee}
				}
				targets[i] = tg
			}
			err := c.Transfer(call.BlindTransfer{From: from, Stay: stay, Targets: targets, Caller: transferee, Callee: callee,
				Progress: func(code int, reason string, final bool) {
					var then func()
					if final && code == 200 {
						then = func() { c.End(from) } // the transferor's part is over
					}
					n.send(code, reason, final, then)
				}})
			if err != nil {
				c.Log().Info("transfer not started", "target", t.number, "error", err)
				n.send(503, "Service Unavailable", true, nil)
			}
		})
	}()
}

// referInvite is the INVITE number analysis sees for a transfer's target:
// a call from the transferor to the number, with the call's Call-ID.
func referInvite(callID, from, to string) *sip.Request {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: to, Host: "transfer.invalid"})
	fh := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: "transfer.invalid"}, Params: sip.NewParams()}
	fh.Params.Add("tag", sipx.NewTag())
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to, Host: "transfer.invalid"}, Params: sip.NewParams()})
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	return req
}

// referNotifier sends the NOTIFYs of a REFER's implicit subscription
// (RFC 3515 §2.4.4), one at a time so that they arrive in order; it runs
// on the call's executor.
type referNotifier struct {
	c     *call.Call
	leg   *call.Leg
	on    bool // false: Refer-Sub: false (RFC 4488)
	busy  bool
	queue []func()
	ended bool
}

// send NOTIFYs "SIP/2.0 code reason"; final terminates the subscription.
// then, if set, runs once the NOTIFY is answered (or could not be sent).
func (n *referNotifier) send(code int, reason string, final bool, then func()) {
	if n.ended {
		return
	}
	if final {
		n.ended = true
	}
	n.queue = append(n.queue, func() {
		done := func() {
			n.busy = false
			if then != nil {
				then()
			}
			n.next()
		}
		if !n.on {
			done()
			return
		}
		state := "active;expires=60"
		if final {
			state = "terminated;reason=noresource"
		}
		hs := []sip.Header{sip.NewHeader("Event", "refer"), sip.NewHeader("Subscription-State", state)}
		body := []byte(fmt.Sprintf("SIP/2.0 %d %s\r\n", code, reason))
		if err := n.c.Notify(n.leg, sip.NOTIFY, hs, "message/sipfrag;version=2.0", body, func(*sip.Response, error) { done() }); err != nil {
			n.c.Log().Debug("REFER NOTIFY not sent", "error", err)
			done()
		}
	})
	n.next()
}

func (n *referNotifier) next() {
	if n.busy || len(n.queue) == 0 {
		return
	}
	f := n.queue[0]
	n.queue = n.queue[1:]
	n.busy = true
	f()
}

package testua

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Auto is the set of things the UA does by itself. Everything it does is
// sent through the same paths a test uses (Incoming.Respond, UA.Send), so
// it shows in Incoming.Responses and UA.Sent.
type Auto uint32

const (
	// AutoTrying answers 100 Trying to every new INVITE (initial or re-INVITE).
	AutoTrying Auto = 1 << iota
	// AutoRinging answers 180 Ringing, with a To tag and Contact, to every
	// initial INVITE (one without To tag).
	AutoRinging
	// AutoAnswer answers 200 OK with SDP to every INVITE: the answer to its
	// offer (488 if unusable), or an offer when it has none (late offer).
	// The 200 is sent once (AutoResend re-sends it if the INVITE is
	// retransmitted); Incoming.RespondUntilAck retransmits a 200 itself.
	AutoAnswer
	// AutoCancel answers 200 to a CANCEL, then 487 to its INVITE if the
	// INVITE has no final response yet; 481 to a CANCEL matching no INVITE.
	AutoCancel
	// AutoBye answers 200 to BYE.
	AutoBye
	// AutoOptions answers 200 to OPTIONS.
	AutoOptions
	// AutoOther answers 200 to every other request but ACK (INFO, UPDATE
	// with an SDP answer when it carries an offer, NOTIFY, MESSAGE, ...).
	AutoOther
	// AutoResend answers a retransmitted request with the last response sent
	// to it (RFC 3261 §17.2).
	AutoResend
	// AutoAckError ACKs every non-2xx final response to an INVITE the UA
	// started, retransmissions included (RFC 3261 §17.1.1.3).
	AutoAckError
	// AutoReAck re-sends the ACK the UA sent for a 2xx when that 2xx is
	// retransmitted (RFC 3261 §13.2.2.4).
	AutoReAck
)

// DefaultAuto keeps the PBX's transactions clean without answering calls:
// 100 and 180 to an INVITE, 200/487 on CANCEL, 200 to BYE, OPTIONS and
// other requests, responses re-sent on retransmissions, non-2xx ACKed,
// ACKs re-sent. AutoAnswer is off.
const DefaultAuto = AutoTrying | AutoRinging | AutoCancel | AutoBye | AutoOptions | AutoOther |
	AutoResend | AutoAckError | AutoReAck

// Incoming is a request the UA received (a server transaction): an INVITE,
// re-INVITE, CANCEL, BYE, ... Its retransmissions are folded into it; ACKs
// are attached to the INVITE they acknowledge. The test answers it with
// NewResponse and Respond, or leaves it to Auto.
type Incoming struct {
	ua   *UA
	req  *sip.Request
	rec  *Record
	from netip.AddrPort
	key  string
	tag  string // our To tag: the request's own in a dialog, else fresh

	// guarded by ua.mu
	ready     bool // auto answers sent: visible to AwaitIncoming
	taken     bool
	copies    []*Record
	responses []*sip.Response
	acks      []*Record
	cancel    *Incoming // the CANCEL of this INVITE
	invite    *Incoming // for a CANCEL: the INVITE it cancels
	dlg       *Dialog
}

func serverKey(req *sip.Request, method sip.RequestMethod) string {
	return callIDOf(req) + "|" + branchOf(req) + "|" + strconv.FormatUint(uint64(req.CSeq().SeqNo), 10) + "|" + string(method)
}

// complete reports whether req has what RFC 3261 §8.1.1 requires of every
// request, with a top Via a response can be sent along (the UA acts on no
// other).
func complete(req *sip.Request) bool {
	via := req.Via()
	return req.SipVersion == "SIP/2.0" && via != nil && via.ProtocolName == "SIP" && via.Transport != "" && via.Host != "" &&
		req.From() != nil && req.To() != nil && req.CallID() != nil && req.CSeq() != nil
}

// onRequest acts on a request as Auto says, then files it: a test that
// sees the request (Await, AwaitIncoming) sees the auto answers already
// sent. Only the reader goroutine calls it, so requests are handled in
// arrival order.
func (u *UA) onRequest(rec *Record, req *sip.Request) {
	if !complete(req) {
		rec.Err = fmt.Errorf("%w: request without a usable Via, From, To, Call-ID or CSeq", ErrIncomplete)
		u.file(rec)
		return
	}
	u.mu.Lock()
	auto := u.auto
	if req.Method == sip.ACK {
		if inv := u.ackedLocked(req); inv != nil {
			inv.acks = append(inv.acks, rec)
		}
		u.fileLocked(rec)
		u.mu.Unlock()
		return
	}
	key := serverKey(req, req.CSeq().MethodName)
	for _, inc := range u.incoming {
		if inc.key != key {
			continue
		}
		var last *sip.Response // a retransmission
		if auto&AutoResend != 0 && len(inc.responses) > 0 {
			last = inc.responses[len(inc.responses)-1]
		}
		u.mu.Unlock()
		if last != nil {
			_ = u.write([]byte(last.String()), last, inc.from)
		}
		u.mu.Lock()
		inc.copies = append(inc.copies, rec)
		u.fileLocked(rec)
		u.mu.Unlock()
		return
	}
	inc := &Incoming{ua: u, req: req, rec: rec, from: rec.Peer, key: key, copies: []*Record{rec}}
	inc.tag, _ = req.To().Params.Get("tag")
	if inc.tag == "" {
		inc.tag = NewTag()
	}
	if req.Method == sip.CANCEL {
		ik := serverKey(req, sip.INVITE)
		for _, inv := range u.incoming {
			if inv.key == ik {
				// the 200 to the CANCEL carries the INVITE's To tag (RFC 3261 §9.2)
				inc.invite, inc.tag = inv, inv.tag
			}
		}
	}
	u.incoming = append(u.incoming, inc) // not ready: invisible to waits
	u.mu.Unlock()

	u.autoAnswer(inc, auto)
	u.mu.Lock()
	if inc.invite != nil {
		inc.invite.cancel = inc
	}
	inc.ready = true
	u.fileLocked(rec)
	u.mu.Unlock()
}

// ackedLocked finds the INVITE an ACK acknowledges: by branch for a
// non-2xx ACK, by dialog and CSeq for a 2xx ACK. Call with mu held.
func (u *UA) ackedLocked(ack *sip.Request) *Incoming {
	ik := serverKey(ack, sip.INVITE)
	totag, _ := ack.To().Params.Get("tag")
	var byDialog *Incoming
	for _, inc := range u.incoming {
		if inc.req.Method != sip.INVITE {
			continue
		}
		if inc.key == ik {
			return inc
		}
		if callIDOf(inc.req) == callIDOf(ack) && inc.req.CSeq().SeqNo == ack.CSeq().SeqNo && inc.tag == totag {
			byDialog = inc
		}
	}
	return byDialog
}

// autoAnswer sends what auto says to a new request.
func (u *UA) autoAnswer(inc *Incoming, auto Auto) {
	req := inc.req
	switch req.Method {
	case sip.INVITE:
		if auto&AutoTrying != 0 {
			_ = inc.Respond(inc.NewResponse(100, "Trying"))
		}
		initial := !req.To().Params.Has("tag")
		if initial && auto&AutoRinging != 0 {
			_ = inc.Respond(inc.NewResponse(180, "Ringing"))
		}
		if auto&AutoAnswer != 0 {
			res, err := inc.Answer()
			if err != nil {
				res = inc.NewResponse(488, "Not Acceptable Here")
			}
			_ = inc.Respond(res)
		}
	case sip.CANCEL:
		if auto&AutoCancel == 0 {
			return
		}
		if inc.invite == nil {
			_ = inc.Respond(inc.NewResponse(481, "Call/Transaction Does Not Exist"))
			return
		}
		_ = inc.Respond(inc.NewResponse(200, "OK"))
		inv := inc.invite
		res := inv.NewResponse(487, "Request Terminated")
		u.mu.Lock()
		final := inv.finalLocked() != nil
		if !final {
			inv.responses = append(inv.responses, res)
		}
		u.mu.Unlock()
		if !final {
			_ = u.write([]byte(res.String()), res, inv.from)
		}
	case sip.BYE:
		if auto&AutoBye != 0 {
			_ = inc.Reply(200, "OK")
		}
	case sip.OPTIONS:
		if auto&AutoOptions != 0 {
			_ = inc.Reply(200, "OK")
		}
	default:
		if auto&AutoOther == 0 {
			return
		}
		res := inc.NewResponse(200, "OK")
		if len(req.Body()) > 0 && req.Method == sip.UPDATE {
			if sdp, err := u.Answer(req.Body()); err == nil {
				SetBody(res, "application/sdp", sdp)
			} else {
				res = inc.NewResponse(488, "Not Acceptable Here")
			}
		}
		_ = inc.Respond(res)
	}
}

// finalLocked is the first final response sent, or nil. Call with mu held.
func (i *Incoming) finalLocked() *sip.Response {
	for _, r := range i.responses {
		if r.StatusCode >= 200 {
			return r
		}
	}
	return nil
}

// AwaitIncoming returns the first received request (not ACK) matching m
// that no AwaitIncoming has returned yet, waiting for it if needed. The
// UA's auto answers to it, if any, are already sent.
func (u *UA) AwaitIncoming(ctx context.Context, m Matcher) (*Incoming, error) {
	return waitFor(ctx, u, "await incoming request", func() (*Incoming, bool) {
		for _, inc := range u.incoming {
			if inc.ready && !inc.taken && m.match(inc.rec) {
				inc.taken = true
				return inc, true
			}
		}
		return nil, false
	})
}

// Incoming lists every received request (not ACK) matching m (nil: all),
// in arrival order.
func (u *UA) Incoming(m Matcher) []*Incoming {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*Incoming
	for _, inc := range u.incoming {
		if inc.ready && m.match(inc.rec) {
			out = append(out, inc)
		}
	}
	return out
}

// Request is the request (its first copy).
func (i *Incoming) Request() *sip.Request { return i.req }

// Record is the record of the request's first copy (arrival time, source).
func (i *Incoming) Record() *Record { return i.rec }

// Source is where the request came from; responses go back there.
func (i *Incoming) Source() netip.AddrPort { return i.from }

// Tag is the To tag of our responses.
func (i *Incoming) Tag() string { return i.tag }

// Copies lists the request and its retransmissions, in arrival order.
func (i *Incoming) Copies() []*Record {
	i.ua.mu.Lock()
	defer i.ua.mu.Unlock()
	return append([]*Record(nil), i.copies...)
}

// Responses lists the responses sent so far (by the test or Auto).
func (i *Incoming) Responses() []*sip.Response {
	i.ua.mu.Lock()
	defer i.ua.mu.Unlock()
	return append([]*sip.Response(nil), i.responses...)
}

// NewResponse builds a response to the request (RFC 3261 §8.2.6): Via,
// From, To, Call-ID, CSeq copied, Record-Route for 18x/2xx, the
// transaction's To tag (none on 100 outside a dialog), and a Contact on
// 1xx/2xx to an INVITE or UPDATE (target refresh). Change it freely (drop
// the tag, add a body or Contacts, ...) before Respond.
func (i *Incoming) NewResponse(code int, reason string) *sip.Response {
	res := sip.NewResponseFromRequest(i.req, code, reason, nil)
	if to := res.To(); to != nil && (code != 100 || to.Params.Has("tag")) {
		to.Params.Add("tag", i.tag)
	}
	if (i.req.Method == sip.INVITE || i.req.Method == sip.UPDATE) && code > 100 && code < 300 {
		res.AppendHeader(i.ua.contactFor(i.req.Recipient.User))
	}
	return res
}

// Answer builds a 200 to an INVITE or UPDATE with an SDP body: the answer
// to the request's offer (an error if unusable), or an offer when it has
// none (late offer).
func (i *Incoming) Answer() (*sip.Response, error) {
	var sdp []byte
	if body := i.req.Body(); len(body) > 0 {
		var err error
		if sdp, err = i.ua.Answer(body); err != nil {
			return nil, err
		}
	} else {
		sdp = i.ua.Offer()
	}
	res := i.NewResponse(200, "OK")
	SetBody(res, "application/sdp", sdp)
	return res, nil
}

// Respond sends res once to the request's source and remembers it (the
// last one is what AutoResend re-sends).
func (i *Incoming) Respond(res *sip.Response) error {
	i.ua.mu.Lock()
	i.responses = append(i.responses, res)
	i.ua.mu.Unlock()
	if err := i.ua.write([]byte(res.String()), res, i.from); err != nil {
		return fmt.Errorf("respond %d: %w", res.StatusCode, err)
	}
	return nil
}

// Reply is Respond(NewResponse(code, reason)).
func (i *Incoming) Reply(code int, reason string) error {
	return i.Respond(i.NewResponse(code, reason))
}

// RespondUntilAck sends a final response to an INVITE and retransmits it
// from T1 doubling up to T2 until an ACK arrives (RFC 3261 §13.3.1.4 for a
// 2xx, on any transport; §17.2.1 timer G for a non-2xx, on UDP only). It
// returns the ACK, or ErrNoAck after 64*T1.
func (i *Incoming) RespondUntilAck(ctx context.Context, res *sip.Response) (*Record, error) {
	u := i.ua
	u.mu.Lock()
	before := len(i.acks)
	u.mu.Unlock()
	if err := i.Respond(res); err != nil {
		return nil, err
	}
	again := res.StatusCode < 300 || u.transport == "udp"
	wire := []byte(res.String())
	giveUp := time.NewTimer(64 * u.t1)
	defer giveUp.Stop()
	interval := u.t1
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		u.mu.Lock()
		var ack *Record
		if len(i.acks) > before {
			ack = i.acks[before]
			ack.taken = true
		}
		changed := u.changed
		u.mu.Unlock()
		if ack != nil {
			return ack, nil
		}
		select {
		case <-changed:
		case <-t.C:
			if again {
				_ = u.write(wire, res, i.from)
			}
			interval = min(2*interval, u.t2)
			t.Reset(interval)
		case <-giveUp.C:
			return nil, fmt.Errorf("respond %d until ack: %w after %s", res.StatusCode, ErrNoAck, 64*u.t1)
		case <-ctx.Done():
			return nil, fmt.Errorf("respond %d until ack: %w", res.StatusCode, ctx.Err())
		case <-u.done:
			return nil, fmt.Errorf("respond %d until ack: %w", res.StatusCode, ErrClosed)
		}
	}
}

// AwaitAck returns the next ACK of this INVITE no wait has returned yet.
func (i *Incoming) AwaitAck(ctx context.Context) (*Record, error) {
	return waitFor(ctx, i.ua, "await ack", func() (*Record, bool) {
		for _, a := range i.acks {
			if !a.taken {
				a.taken = true
				return a, true
			}
		}
		return nil, false
	})
}

// Acks lists the ACKs of this INVITE received so far.
func (i *Incoming) Acks() []*Record {
	i.ua.mu.Lock()
	defer i.ua.mu.Unlock()
	return append([]*Record(nil), i.acks...)
}

// Cancel is the CANCEL of this INVITE, nil if none arrived.
func (i *Incoming) Cancel() *Incoming {
	i.ua.mu.Lock()
	defer i.ua.mu.Unlock()
	return i.cancel
}

// AwaitCancel waits for the CANCEL of this INVITE.
func (i *Incoming) AwaitCancel(ctx context.Context) (*Incoming, error) {
	return waitFor(ctx, i.ua, "await cancel", func() (*Incoming, bool) {
		return i.cancel, i.cancel != nil && i.cancel.ready
	})
}

// Dialog is the UAS side of the dialog our responses with Tag create
// (RFC 3261 §12.1.1), to send requests to the caller (a BYE from the
// callee). The same Dialog is returned on every call.
func (i *Incoming) Dialog() *Dialog {
	i.ua.mu.Lock()
	defer i.ua.mu.Unlock()
	if i.dlg == nil {
		i.dlg = uasDialog(i.ua, i.req, i.tag)
	}
	return i.dlg
}

package call

import (
	"github.com/emiago/sipgo/sip"
)

// What a call keeps once it is established: a held call lives for minutes
// or hours, its INVITE transactions for 64*T1, so the call lets go of what
// only the transactions needed when they end (issue 14, BenchmarkHeldCalls).

// lighten drops what an ACKed INVITE transaction no longer needs: the call
// keeps the caller's (aInv) for its whole life, but only its request is
// read again (waitingAck is false once acked, and the leg's inv, which
// ops read the 2xx of, is nil). The 2xx goes (ok is the 2xx "while it
// waits for its ACK"); the sipgo transaction, which holds the 2xx until it
// ends (64*T1 after it, absorbing retransmissions of the INVITE, RFC
// 6026), is let go when it terminates.
func (c *Call) lighten(si *serverInvite) {
	si.onAck, si.ok = nil, nil
	ended := func(string, error) { c.ex.post(func() { si.tx = si.tx.Ended() }) }
	if si.tx.ServerTransaction != nil && !si.tx.OnTerminate(ended) {
		si.tx = si.tx.Ended()
	}
}

// settle drops what an answered branch no longer needs once its INVITE
// transaction ended (until then the transaction holds the INVITE and the
// 2xx anyway): the 2xx is kept as its status line (only whether the branch
// has a final, and its class, is read afterwards) and the INVITE as what
// answeredInvite keeps.
func (c *Call) settle(b *branch) {
	if b.final == nil || !b.final.IsSuccess() {
		return
	}
	b.final = statusOf(b.final)
	b.invite = answeredInvite(b.invite)
}

// statusOf is a response with only res's status line.
func statusOf(res *sip.Response) *sip.Response {
	return &sip.Response{StatusCode: res.StatusCode, Reason: res.Reason}
}

// answeredInvite is what a branch keeps of its INVITE once answered: what
// is read afterwards, for other 2xx of the same INVITE (answerProblem,
// ackAndBye) and ACKs — the Request-URI's user and host, Call-ID, CSeq,
// Content-Type and body.
func answeredInvite(inv *sip.Request) *sip.Request {
	r := inv.Recipient
	s := sip.NewRequest(inv.Method, sip.Uri{Scheme: r.Scheme, User: r.User, Host: r.Host, Port: r.Port})
	if h := inv.CallID(); h != nil {
		s.AppendHeader(h)
	}
	if h := inv.CSeq(); h != nil {
		s.AppendHeader(h)
	}
	if h := inv.ContentType(); h != nil {
		s.AppendHeader(h)
	}
	s.SetBody(inv.Body())
	return s
}

// sentAck is an ACK the PBX sent for a 2xx, kept as its bytes (a few
// hundred, where the built request is a graph of some 1.6 kB) and resent
// alike when that 2xx is retransmitted (RFC 3261 §13.2.2.4).
type sentAck struct {
	seq  uint32
	raw  string
	dest string
}

// keepAck records a, the ACK for the 2xx of CSeq seq on l.
func (l *Leg) keepAck(seq uint32, a *sip.Request) {
	for i := range l.acks {
		if l.acks[i].seq == seq {
			l.acks[i] = sentAck{seq: seq, raw: a.String(), dest: a.Destination()}
			return
		}
	}
	l.acks = append(l.acks, sentAck{seq: seq, raw: a.String(), dest: a.Destination()})
}

// resendAck sends the ACK kept for CSeq seq on l again; false if there is
// none.
func (c *Call) resendAck(l *Leg, seq uint32) bool {
	for _, s := range l.acks {
		if s.seq != seq {
			continue
		}
		msg, err := sip.ParseMessage([]byte(s.raw))
		req, ok := msg.(*sip.Request)
		if err != nil || !ok { // our own bytes: cannot happen
			c.log.Warn("resend ACK", "leg", l.id, "error", err)
			return true
		}
		l.via.Prepare(req, s.dest)
		c.send(req)
		return true
	}
	return false
}

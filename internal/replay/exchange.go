package replay

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/sdpneg"
	"pbxlab/internal/sipwire"
)

// findMatch is the step of the leg a live message stands for: the next
// expected message with its label, looking past expected messages that
// did not come and past a challenge the target did not make (the
// captured ACK and retry with credentials are then skipped); -1 if none.
func (r *Replayer) findMatch(lg *leg, m sip.Message) int {
	want := label(m)
	challenged := false
	for j := lg.live.cursor; j < len(lg.steps); j++ {
		s := lg.steps[j]
		if s.send {
			if !challenged || !authRelated(s.msg.Msg) {
				return -1
			}
			continue
		}
		if label(s.msg.Msg) == want {
			return j
		}
		if res, ok := s.msg.Msg.(*sip.Response); ok && isChallenge(res) {
			challenged = true
		}
	}
	return -1
}

func isChallenge(res *sip.Response) bool {
	return res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired
}

// authRelated: the ACK of a challenge, or a retry with credentials.
func authRelated(m sip.Message) bool {
	req, ok := m.(*sip.Request)
	if !ok {
		return false
	}
	return req.Method == sip.ACK || req.GetHeader("Authorization") != nil || req.GetHeader("Proxy-Authorization") != nil
}

// take settles the steps up to j (those before it did not happen) and
// learns from the live message.
func (r *Replayer) take(lg *leg, j int, ev event) {
	ls := lg.live
	for _, s := range lg.steps[ls.cursor:j] {
		if req, ok := s.msg.Msg.(*sip.Request); ok && s.send && req.Method != sip.ACK {
			// a captured retry not needed live: its CSeq number is not used
			if prev := ls.lastReq[req.Method]; prev != nil {
				ls.sent[cseqKey(req)] = prev
			}
			ls.offset--
		}
		r.mark(s, skipped)
	}
	s := lg.steps[j]
	ls.learn(s.msg.Msg, ev.msg)
	if lg.stream != nil && len(ev.msg.Body()) > 0 {
		if ses, err := sdpneg.Parse(ev.msg.Body()); err == nil && ses.Addr.Port() != 0 {
			lg.stream.remote = netip.AddrPortFrom(ses.Addr.Addr().Unmap(), ses.Addr.Port())
			r.startMedia(lg)
		}
	}
	r.recordIn(lg.w, lg.party, ev, s.idx)
	r.mark(s, done)
	ls.cursor, ls.since = j+1, time.Time{}
	r.markDirty(lg)
}

// unplanned handles a live message the capture does not have: a
// challenge is answered (with an ACK for an INVITE's), another final
// response to an INVITE is ACKed, a request gets a plain answer.
func (r *Replayer) unplanned(p *party, lg *leg, m sip.Message) {
	switch v := m.(type) {
	case *sip.Response:
		if lg == nil {
			return
		}
		var req *sip.Request
		capKey := ""
		for k, s := range lg.live.sent {
			if s.Via() != nil && v.Via() != nil && branchOf(s.Via()) == branchOf(v.Via()) && s.CSeq().MethodName == v.CSeq().MethodName {
				req, capKey = s, k
				break
			}
		}
		if req == nil || v.StatusCode < 200 {
			return
		}
		if req.Method == sip.INVITE {
			if v.StatusCode < 300 {
				r.hangUp(p, lg, req, v)
			} else {
				r.write(p, lg, ackFor(req, v), lastKey(lg))
			}
		}
		if isChallenge(v) {
			r.retry(p, lg, req, capKey, v)
			return
		}
		if r.expectsFinal(lg, v) {
			// the transaction is over: what the capture expects won't come
			r.fail(lg, fmt.Sprintf("expected %s, got %s", label(lg.steps[lg.live.cursor].msg.Msg), label(v)))
		}
	case *sip.Request:
		if v.Method == sip.ACK {
			return
		}
		code, reason := 200, "OK"
		if v.Method == sip.INVITE {
			code, reason = 480, "Temporarily Unavailable"
		}
		key := len(r.plan.steps)
		if lg != nil {
			key = lastKey(lg)
		}
		r.write(p, lg, simpleResponse(v, code, reason), key)
	}
}

// expectsFinal: the leg waits for another final response of the
// transaction v ends.
func (r *Replayer) expectsFinal(lg *leg, v *sip.Response) bool {
	ls := lg.live
	if ls.finished || ls.cursor >= len(lg.steps) {
		return false
	}
	c, ok := lg.steps[ls.cursor].msg.Msg.(*sip.Response)
	return ok && c.StatusCode >= 200 && c.CSeq().MethodName == v.CSeq().MethodName
}

// hangUp ends a call the target answered where the capture did not: ACK
// then BYE, so that the target is left with no call.
func (r *Replayer) hangUp(p *party, lg *leg, inv *sip.Request, ok *sip.Response) {
	target := inv.Recipient
	if c := ok.GetHeader("Contact"); c != nil {
		if ch, isC := c.(*sip.ContactHeader); isC {
			target = ch.Address
		}
	}
	for _, m := range []sip.RequestMethod{sip.ACK, sip.BYE} {
		req := ackFor(inv, ok)
		req.Method, req.Recipient = m, *target.Clone()
		req.CSeq().MethodName = m
		if m == sip.BYE {
			req.CSeq().SeqNo++
		}
		req.Via().Params.Add("branch", newBranch())
		r.write(p, lg, req, lastKey(lg))
	}
}

func branchOf(v *sip.ViaHeader) string {
	b, _ := v.Params.Get("branch")
	return b
}

func lastKey(lg *leg) int {
	c := min(lg.live.cursor, len(lg.steps))
	if c == 0 {
		return lg.steps[0].idx
	}
	return lg.steps[c-1].idx
}

// retry answers a challenge the capture did not have: the request again
// with credentials, the next CSeq and a fresh branch.
func (r *Replayer) retry(p *party, lg *leg, req *sip.Request, capKey string, ch *sip.Response) {
	ls := lg.live
	if req.GetHeader("Authorization") != nil || req.GetHeader("Proxy-Authorization") != nil {
		r.fail(lg, fmt.Sprintf("the target rejected the credentials (%d %s)", ch.StatusCode, ch.Reason))
		return
	}
	out := req.Clone()
	if err := authorize(out, ch, r.cfg.Credentials); err != nil {
		r.fail(lg, fmt.Sprintf("the target challenged %s (%d): %v", req.Method, ch.StatusCode, err))
		return
	}
	out.CSeq().SeqNo++
	ls.offset++
	old := branchOf(req.Via())
	nb := newBranch()
	out.Via().Params.Add("branch", nb)
	for c, l := range ls.branches {
		if l == old {
			ls.branches[c] = nb
		}
	}
	ls.challenge = ch
	ls.sent[capKey] = out
	ls.lastReq[out.Method] = out
	r.write(p, lg, out, lastKey(lg))
}

// sendStep sends the live form of a captured message of the party.
func (r *Replayer) sendStep(s *step) {
	lg, ls := s.leg, s.leg.live
	rw := rewriter{sut: lg.w.plan.sut, target: r.target, local: s.party.local, proto: s.party.proto}
	if st := lg.stream; st != nil && st.conn != nil {
		rw.media = map[int]int{int(st.captured.Port()): int(st.local.Port())}
	}
	var m sip.Message
	var err error
	switch c := s.msg.Msg.(type) {
	case *sip.Request:
		m, err = ls.buildRequest(c, rw, r.cfg.Credentials)
	case *sip.Response:
		m, err = ls.buildResponse(c, rw)
		if err != nil { // its request never came: nothing to answer
			r.mark(s, skipped)
			return
		}
	}
	if err != nil {
		r.fail(lg, err.Error())
		return
	}
	if !r.write(s.party, lg, m, s.idx) {
		return
	}
	r.mark(s, done)
	if len(m.Body()) > 0 {
		ls.sentSDP = true
		r.startMedia(lg)
	}
}

// write sends m to the target and records it; false (and the leg given
// up) if the send fails.
func (r *Replayer) write(p *party, lg *leg, m sip.Message, key int) bool {
	b := []byte(m.String())
	if err := r.out.send(p.conn, b); err != nil {
		if lg != nil {
			r.fail(lg, err.Error())
		}
		r.log.Warn("replay: send", "err", err)
		return false
	}
	r.sent++
	r.progress = time.Now()
	if r.capture != nil {
		r.tap(p, b, true)
	}
	w := r.window
	if lg != nil {
		w = lg.w
	}
	w.records = append(w.records, record{msg: sipwire.Message{Time: time.Now(), Proto: p.proto, Src: p.addr, Dst: p.sut, Msg: m}, key: key, seq: len(w.records)})
	r.retain(0, 0, 1)
	return true
}

// recordIn records a live message of the target in window w.
func (r *Replayer) recordIn(w *window, p *party, ev event, key int) {
	w.records = append(w.records, record{msg: sipwire.Message{Time: ev.at, Proto: p.proto, Src: p.sut, Dst: p.addr, Msg: ev.msg}, key: key, seq: len(w.records)})
	r.retain(0, 0, 1)
}

// tap writes a live packet, with its real addresses, to the capture.
func (r *Replayer) tap(p *party, b []byte, out bool) {
	src, dst := p.local, r.target
	if !out {
		src, dst = dst, src
	}
	if p.proto == pcapio.ProtoTCP {
		r.capture.TCP(src, dst, b)
		return
	}
	r.capture.UDP(src, dst, b)
}

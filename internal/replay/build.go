package replay

import (
	"fmt"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// buildRequest turns a captured request of the party into the live one:
// the leg's live Call-ID, tags, route set and remote target, a fresh
// branch, the party's live socket in Via and Contact, recomputed
// credentials.
func (ls *legState) buildRequest(c *sip.Request, rw rewriter, creds Credentials) (*sip.Request, error) {
	r := c.Clone()
	cid := sip.CallIDHeader(ls.callID)
	r.ReplaceHeader(&cid)
	inDialog := false
	if to := r.To(); to != nil {
		if t, ok := to.Params.Get("tag"); ok {
			inDialog = true
			if l, ok := ls.tags[t]; ok {
				to.Params.Add("tag", l)
			}
		}
		rw.uri(&to.Address)
	}
	if f := r.From(); f != nil {
		rw.uri(&f.Address)
	}
	capBranch := ""
	if v := c.Via(); v != nil {
		capBranch, _ = v.Params.Get("branch")
	}
	var inv *sip.Request
	if c.Method == sip.ACK || c.Method == sip.CANCEL {
		inv = ls.sent[strconv.FormatUint(uint64(c.CSeq().SeqNo), 10)+" INVITE"]
	}
	branch, reuse := ls.branches[capBranch]
	if !reuse || capBranch == "" {
		branch = newBranch()
		if capBranch != "" {
			ls.branches[capBranch] = branch
		}
	}
	cs := r.CSeq()
	switch {
	case inv != nil:
		cs.SeqNo = inv.CSeq().SeqNo
	default:
		cs.SeqNo = uint32(int64(cs.SeqNo) + ls.offset)
	}
	removeAll(r, "Route")
	switch {
	case inv != nil && (c.Method == sip.CANCEL || reuse):
		// CANCEL and the ACK of a non-2xx: the INVITE's URI and routes
		r.Recipient = *inv.Recipient.Clone()
		for _, h := range inv.GetHeaders("Route") {
			r.AppendHeader(sip.NewHeader("Route", h.Value()))
		}
	case inDialog && ls.target != nil:
		r.Recipient = *ls.target.Clone()
		for _, v := range ls.routes {
			r.AppendHeader(sip.NewHeader("Route", v))
		}
	default:
		rw.uri(&r.Recipient)
	}
	rw.via(r, branch)
	rw.contact(r)
	ls.rack(r)
	if r.GetHeader("Authorization") != nil || r.GetHeader("Proxy-Authorization") != nil {
		if err := authorize(r, ls.challenge, creds); err != nil {
			return nil, err
		}
	}
	rw.body(r)
	ls.sent[cseqKey(c)] = r
	ls.lastReq[r.Method] = r
	return r, nil
}

// buildResponse turns a captured response of the party into the answer
// to the live request it answers: that request's Via, From, To, Call-ID,
// CSeq and Record-Route, the party's own To tag.
func (ls *legState) buildResponse(c *sip.Response, rw rewriter) (*sip.Response, error) {
	req := ls.received[cseqKey(c)]
	if req == nil {
		return nil, fmt.Errorf("no live %s to answer", cseqKey(c))
	}
	r := c.Clone()
	for _, n := range []string{"Via", "From", "To", "Call-ID", "CSeq", "Record-Route"} {
		removeAll(r, n)
	}
	var top []sip.Header
	for _, h := range req.GetHeaders("Via") {
		if v, ok := h.(*sip.ViaHeader); ok {
			top = append(top, v.Clone())
		}
	}
	for _, h := range req.GetHeaders("Record-Route") {
		top = append(top, sip.NewHeader("Record-Route", h.Value()))
	}
	from := *req.From()
	from.Address = *from.Address.Clone()
	from.Params = from.Params.Clone()
	to := *req.To()
	to.Address = *to.Address.Clone()
	to.Params = to.Params.Clone()
	if ct := c.To(); ct != nil {
		if t, ok := ct.Params.Get("tag"); ok {
			to.Params.Add("tag", t)
		}
	}
	cid := *req.CallID()
	cs := *req.CSeq()
	top = append(top, &from, &to, &cid, &cs)
	r.PrependHeader(top...)
	rw.contact(r)
	rw.body(r)
	return r, nil
}

// simpleResponse answers a live request the capture has no answer for.
func simpleResponse(req *sip.Request, code int, reason string) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if to := res.To(); to != nil {
		if _, ok := to.Params.Get("tag"); !ok && code > 100 {
			to.Params.Add("tag", randomHex(4))
		}
	}
	return res
}

// ackFor is the ACK of a live non-2xx final response to inv (RFC 3261
// §17.1.1.3).
func ackFor(inv *sip.Request, res *sip.Response) *sip.Request {
	ack := sip.NewRequest(sip.ACK, *inv.Recipient.Clone())
	if v := inv.Via(); v != nil {
		ack.AppendHeader(v.Clone())
	}
	for _, h := range inv.GetHeaders("Route") {
		ack.AppendHeader(sip.NewHeader("Route", h.Value()))
	}
	from := *inv.From()
	ack.AppendHeader(&from)
	to := *res.To()
	ack.AppendHeader(&to)
	cid := *inv.CallID()
	ack.AppendHeader(&cid)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	ack.SetBody(nil)
	return ack
}

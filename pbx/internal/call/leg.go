package call

import (
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/internal/sipx"
)

// leg is one dialog of a call as the PBX sees it (RFC 3261 §12): the PBX is
// the UAS of the caller's leg and the UAC of the callee's leg.
type leg struct {
	mu           sync.Mutex
	callID       string
	localTag     string
	remoteTag    string
	local        sip.Uri // our side's identity (From of our requests)
	localName    string
	remote       sip.Uri // the peer's identity (To of our requests)
	remoteName   string
	localSeq     uint32
	remoteSeq    uint32
	remoteTarget sip.Uri   // the peer's Contact
	routeSet     []sip.Uri // RFC 3261 §12.1
	dest         string    // host:port in-dialog requests are sent to
	via          sipx.Local
	contactUser  string
}

func (l *leg) key() string { return dialogKey(l.callID, l.localTag) }

func dialogKey(callID, localTag string) string { return callID + "|" + localTag }

// nextSeq returns the CSeq number of the next request we send on the leg.
func (l *leg) nextSeq() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.localSeq++
	return l.localSeq
}

// request builds an in-dialog request (RFC 3261 §12.2.1.1).
func (l *leg) request(tok sipx.BranchToken, method sip.RequestMethod, seq uint32, body []byte, contentType string) *sip.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	req := sip.NewRequest(method, *l.remoteTarget.Clone())
	req.AppendHeader(l.via.Via(tok.Branch()))
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	for _, r := range l.routeSet {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	from := &sip.FromHeader{DisplayName: l.localName, Address: *l.local.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", l.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{DisplayName: l.remoteName, Address: *l.remote.Clone(), Params: sip.NewParams()}
	if l.remoteTag != "" {
		to.Params.Add("tag", l.remoteTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(l.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	if method == sip.INVITE || method == sip.UPDATE {
		req.AppendHeader(l.via.Contact(l.contactUser))
	}
	if len(body) > 0 {
		ct := sip.ContentTypeHeader(contentType)
		req.AppendHeader(&ct)
	}
	req.SetBody(body)
	l.via.Prepare(req, l.dest)
	return req
}

// routeSetFrom returns the route set from Record-Route headers, reversed
// for the UAC side (RFC 3261 §12.1.2) or in order for the UAS side (§12.1.1).
func routeSetFrom(m sip.Message, reverse bool) []sip.Uri {
	var out []sip.Uri
	for _, h := range m.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			out = append(out, *rr.Address.Clone())
		}
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// contactOf returns the first Contact URI of m, if any.
func contactOf(m sip.Message) (sip.Uri, bool) {
	hs := m.GetHeaders("Contact")
	if len(hs) == 0 {
		return sip.Uri{}, false
	}
	h := hs[0]
	if c, ok := h.(*sip.ContactHeader); ok {
		return *c.Address.Clone(), true
	}
	return sip.Uri{}, false
}

// hasSDP reports whether m carries an SDP body.
func hasSDP(m sip.Message) bool {
	if len(m.Body()) == 0 {
		return false
	}
	mt, _, _ := strings.Cut(contentType(m), ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/sdp")
}

func contentType(m sip.Message) string {
	if hs := m.GetHeaders("Content-Type"); len(hs) > 0 {
		return hs[0].Value()
	}
	return ""
}

func tagOf(p sip.HeaderParams) string {
	t, _ := p.Get("tag")
	return t
}

package call

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/sipx"
)

// Role says which side of a leg's initial INVITE the PBX is on.
type Role uint8

// Roles.
const (
	// UAS: the PBX received the INVITE (the caller's leg).
	UAS Role = iota
	// UAC: the PBX sent the INVITE (a callee's leg).
	UAC
)

func (r Role) String() string {
	if r == UAS {
		return "uas"
	}
	return "uac"
}

// Leg is one SIP dialog of a call as the PBX sees it (RFC 3261 §12): the PBX
// is the UAS of the caller's leg and the UAC of each leg towards a callee.
// A UAC leg is created when its INVITE is built; provisional or 2xx
// responses from other To tags of the same INVITE (a forking proxy
// downstream) make sibling legs, one per early dialog. A leg is only ever
// touched on its call's executor.
type Leg struct {
	id    string
	role  Role
	state LegState
	call  *Call

	callID       string
	localTag     string
	remoteTag    string
	local        sip.Uri // our side's identity (From of our requests)
	localName    string
	remote       sip.Uri // the peer's identity (To of our requests)
	remoteName   string
	localSeq     uint32
	remoteSeq    uint32 // 0 = empty (RFC 3261 §12.2.2)
	remoteTarget sip.Uri
	routeSet     []sip.Uri
	dest         string // host:port in-dialog requests go to
	via          sipx.Local
	contactUser  string

	// bridge is the bridge the leg is in, nil when in none.
	bridge *Bridge
	// branch is the INVITE client transaction a UAC leg came from.
	branch *branch
	// inv is the INVITE server transaction of a UAS leg that still waits
	// for its final response or for the ACK of its 2xx.
	inv *serverInvite
	// acks holds the ACK the PBX sent for each 2xx it received on this leg
	// (by CSeq), resent when that 2xx is retransmitted (RFC 3261 §13.2.2.4).
	acks []sentAck
	// byeSent: the PBX sent its BYE on this leg.
	byeSent bool
	// outInvite is a re-INVITE the PBX sent on this leg and has no final
	// response for yet (glare detection, RFC 3261 §14.1).
	outInvite bool
	// deferred are requests that arrived before the ACK of our 2xx on this
	// leg; they run once it arrives (or AckWait passes).
	deferred   []func()
	deferTimer clock.Timer
	// sawSDP is set once any SDP crossed this leg (early media rule).
	sawSDP bool
	// lateOffer is the offer of a 2xx the PBX has not ACKed yet because its
	// INVITE carried none: the ACK waits for an answer from another leg.
	lateOffer *pendingOffer
	// st is the leg's session timer (RFC 4028, timer.go).
	st *legTimer
	// detached: the leg lives on its own (detach.go); gone runs on its BYE.
	detached bool
	gone     func()
}

// pendingOffer is an offer received in a 2xx, waiting for its answer.
type pendingOffer struct {
	sdp []byte
	seq uint32 // the INVITE's CSeq, for the ACK
}

// ID is the leg's name within its call, for logs ("a", "b1", "b1.2").
func (l *Leg) ID() string { return l.id }

// State is the leg's dialog state.
func (l *Leg) State() LegState { return l.state }

// Local is how the PBX presents itself to the leg's peer (the socket, the
// address in Via and Contact): the media server puts the same address in
// the leg's SDP.
func (l *Leg) Local() sipx.Local { return l.via }

// Role is the PBX's side of the leg's initial INVITE.
func (l *Leg) Role() Role { return l.role }

// event moves the leg's state machine and logs every change with the call.
func (l *Leg) event(ev LegEvent) {
	to, err := nextLegState(l.state, ev)
	if err != nil {
		l.call.log.Debug("leg transition ignored", "leg", l.id, "error", err)
		return
	}
	if to != l.state {
		l.call.log.Debug("leg state", "leg", l.id, "from", l.state, "to", to, "event", ev)
		l.state = to
	}
}

func (l *Leg) key() string { return dialogKey(l.callID, l.localTag) }

func dialogKey(callID, localTag string) string { return callID + "|" + localTag }

// nextSeq returns the CSeq number of the next request we send on the leg.
func (l *Leg) nextSeq() uint32 {
	l.localSeq++
	return l.localSeq
}

// request builds an in-dialog request (RFC 3261 §12.2.1.1). maxForwards
// below zero means the default 70.
func (l *Leg) request(tok sipx.BranchToken, method sip.RequestMethod, seq uint32, body []byte, contentType string, maxForwards int) *sip.Request {
	req := sip.NewRequest(method, *l.remoteTarget.Clone())
	req.AppendHeader(l.via.Via(tok.Branch()))
	if maxForwards < 0 {
		maxForwards = 70
	}
	h := &requestHeaders{ // one allocation for the headers of the dialog
		mf:   sip.MaxForwardsHeader(maxForwards),
		from: sip.FromHeader{DisplayName: l.localName, Address: *l.local.Clone()},
		to:   sip.ToHeader{DisplayName: l.remoteName, Address: *l.remote.Clone()},
		cid:  sip.CallIDHeader(l.callID),
		cseq: sip.CSeqHeader{SeqNo: seq, MethodName: method},
		ct:   sip.ContentTypeHeader(contentType),
	}
	req.AppendHeader(&h.mf)
	for _, r := range l.routeSet {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	h.fromTag[0] = sip.HeaderKV{K: "tag", V: l.localTag}
	h.from.Params = h.fromTag[:]
	req.AppendHeader(&h.from)
	if l.remoteTag != "" {
		h.toTag[0] = sip.HeaderKV{K: "tag", V: l.remoteTag}
		h.to.Params = h.toTag[:]
	}
	req.AppendHeader(&h.to)
	req.AppendHeader(&h.cid)
	req.AppendHeader(&h.cseq)
	if isTargetRefresh(method) {
		req.AppendHeader(l.via.Contact(l.contactUser))
	}
	if method == sip.INVITE || method == sip.UPDATE {
		req.AppendHeader(sip.NewHeader("Allow", sipx.Allowed))
	}
	if len(body) > 0 {
		req.AppendHeader(&h.ct)
	}
	req.SetBody(body)
	l.via.Prepare(req, l.dest)
	return req
}

// requestHeaders are the headers Leg.request builds, allocated together.
type requestHeaders struct {
	mf             sip.MaxForwardsHeader
	from           sip.FromHeader
	to             sip.ToHeader
	cid            sip.CallIDHeader
	cseq           sip.CSeqHeader
	ct             sip.ContentTypeHeader
	fromTag, toTag [1]sip.HeaderKV
}

// sibling returns a new UAC leg for another To tag of the same INVITE (an
// early dialog with another downstream fork).
func (l *Leg) sibling(id, remoteTag string) *Leg {
	s := *l
	s.id = id
	s.remoteTag = remoteTag
	s.state = l.state
	s.acks = nil
	s.deferred = nil
	s.routeSet = append([]sip.Uri(nil), l.routeSet...)
	s.sawSDP = false
	s.bridge = nil
	s.st = l.st.forSibling()
	return &s
}

// isTargetRefresh reports whether method carries a Contact that replaces the
// dialog's remote target (RFC 3261 §12.2, RFC 3311).
func isTargetRefresh(method sip.RequestMethod) bool {
	return method == sip.INVITE || method == sip.UPDATE
}

// refreshTarget takes the remote target from a target refresh request or
// its 2xx (RFC 3261 §12.2.1.2, §12.2.2).
func (l *Leg) refreshTarget(m sip.Message) {
	if uri, ok := contactOf(m); ok {
		l.remoteTarget = uri
	}
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
	for _, h := range m.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok {
			return *c.Address.Clone(), true
		}
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

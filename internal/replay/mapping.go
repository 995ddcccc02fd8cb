package replay

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/pion/sdp/v3"
)

// resent is a final response to an INVITE the target sent again.
type resent struct {
	label string // "480 INVITE"
	n     int
}

// unacked lists the final responses to INVITEs the target retransmitted
// and the party never ACKed (the capture had no ACK to send).
func (ls *legState) unacked() []resent {
	var out []resent
	for seq, rs := range ls.resent {
		if !ls.sentACK(seq) {
			out = append(out, rs)
		}
	}
	slices.SortFunc(out, func(a, b resent) int { return strings.Compare(a.label, b.label) })
	return out
}

// sentACK reports whether the party sent a live ACK with CSeq seq.
func (ls *legState) sentACK(seq uint32) bool {
	for _, r := range ls.sent {
		if r.Method == sip.ACK && r.CSeq() != nil && r.CSeq().SeqNo == seq {
			return true
		}
	}
	return false
}

// legState is what a leg learned live: the identifiers the target minted
// and the ones the replayer minted for the party.
type legState struct {
	callID    string            // live
	tags      map[string]string // captured SUT tag -> live
	branches  map[string]string // captured party branch -> live
	sent      map[string]*sip.Request
	received  map[string]*sip.Request // captured CSeq key of a SUT request -> the live one
	target    *sip.Uri                // the SUT's live Contact
	routes    []string                // the live route set
	challenge *sip.Response           // the last live 401/407
	offset    int64                   // CSeq numbers added (or saved) by unplanned retries
	lastReq   map[sip.RequestMethod]*sip.Request
	rseqs     map[string]string // captured RSeq of a SUT's reliable provisional -> live (RFC 3262)
	resent    map[uint32]resent // the target's retransmitted final responses to INVITEs, by live CSeq
	sentSDP   bool              // the party's SDP went out (--rtp starts after it)
	failed    string            // why the leg stopped ("" while it runs)
	failedAt  int               // step index it stopped at
	since     time.Time         // when the cursor reached an expected step
	cursor    int
	scheduled bool // a pace timer runs
	fired     bool // the pace timer went off
	waiting   bool // in its party's waiting list
	dirty     bool
	finished  bool
}

func newLegState() *legState {
	return &legState{tags: map[string]string{}, branches: map[string]string{}, sent: map[string]*sip.Request{}, received: map[string]*sip.Request{}, lastReq: map[sip.RequestMethod]*sip.Request{}, rseqs: map[string]string{}, failedAt: -1}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newBranch() string { return sip.RFC3261BranchMagicCookie + randomHex(8) }

// hdrs is what requests and responses share beyond sip.Message.
type hdrs interface {
	sip.Message
	RemoveHeader(name string) bool
	Headers() []sip.Header
	GetHeader(name string) sip.Header
	Contact() *sip.ContactHeader
	ContentType() *sip.ContentTypeHeader
}

// removeAll removes every header of the name (any case).
func removeAll(m hdrs, name string) {
	for {
		found := ""
		for _, h := range m.Headers() {
			if strings.EqualFold(h.Name(), name) {
				found = h.Name()
				break
			}
		}
		if found == "" || !m.RemoveHeader(found) {
			return
		}
	}
}

func tagOf(_ interface{ Value() string }, params sip.HeaderParams) string {
	t, _ := params.Get("tag")
	return t
}

// sutTag is the tag the SUT owns in m: its From tag in a request it sent,
// its To tag in a response it sent (and the other way for the party's).
func sutTag(m sip.Message, fromSUT bool) string {
	_, isReq := m.(*sip.Request)
	if isReq == fromSUT {
		if f := m.From(); f != nil {
			return tagOf(f, f.Params)
		}
		return ""
	}
	if t := m.To(); t != nil {
		return tagOf(t, t.Params)
	}
	return ""
}

// learn records the identifiers of a live message matched to a captured
// one.
func (ls *legState) learn(captured, live sip.Message) {
	if c, l := sutTag(captured, true), sutTag(live, true); c != "" && l != "" {
		ls.tags[c] = l
	}
	if ls.callID == "" {
		ls.callID = live.CallID().Value()
	}
	switch v := live.(type) {
	case *sip.Request:
		ls.received[cseqKey(captured)] = v
		if v.Method == sip.INVITE || v.Method == sip.SUBSCRIBE || v.Method == sip.REFER {
			ls.learnTarget(v, false)
		}
	case *sip.Response:
		if cr, ok := captured.(*sip.Response); ok {
			if c, l := cr.GetHeader("RSeq"), v.GetHeader("RSeq"); c != nil && l != nil {
				ls.rseqs[strings.TrimSpace(c.Value())] = strings.TrimSpace(l.Value())
			}
		}
		if v.StatusCode == sip.StatusUnauthorized || v.StatusCode == sip.StatusProxyAuthRequired {
			ls.challenge = v
		}
		if cs := v.CSeq(); cs != nil && v.StatusCode < 300 && (cs.MethodName == sip.INVITE || cs.MethodName == sip.SUBSCRIBE) {
			ls.learnTarget(v, true)
		}
	}
}

// learnTarget takes the remote target and route set of a dialog-forming
// message (RFC 3261 §12.1): the route set reversed at the UAC.
func (ls *legState) learnTarget(m hdrs, uac bool) {
	if c := m.Contact(); c != nil {
		u := c.Address.Clone()
		ls.target = u
	}
	var routes []string
	for _, h := range m.GetHeaders("Record-Route") {
		for _, v := range strings.Split(h.Value(), ",") {
			if v = strings.TrimSpace(v); v != "" {
				routes = append(routes, v)
			}
		}
	}
	if uac {
		slices.Reverse(routes)
	}
	if len(routes) > 0 || ls.routes == nil {
		ls.routes = routes
	}
}

// rewriter maps captured addresses to live ones for one party.
type rewriter struct {
	sut    []netip.AddrPort
	target netip.AddrPort
	local  netip.AddrPort
	proto  string
	// media maps a captured media port of the party to its live one
	// (--rtp); other ports are kept.
	media map[int]int
}

// uri points a URI that named the captured SUT at the target.
func (rw rewriter) uri(u *sip.Uri) {
	for _, s := range rw.sut {
		if strings.Trim(u.Host, "[]") == s.Addr().String() && (u.Port == 0 || u.Port == int(s.Port())) {
			u.Host, u.Port = hostOf(rw.target), int(rw.target.Port())
			return
		}
	}
}

func hostOf(a netip.AddrPort) string {
	if a.Addr().Is6() {
		return "[" + a.Addr().String() + "]"
	}
	return a.Addr().String()
}

// contact points the Contact at the party's live socket.
func (rw rewriter) contact(m hdrs) {
	for _, h := range m.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok && c.Address.Host != "" {
			c.Address.Host, c.Address.Port = hostOf(rw.local), int(rw.local.Port())
		}
	}
}

// via replaces the Vias of a request with the party's one.
func (rw rewriter) via(r *sip.Request, branch string) {
	r.RemoveHeader("Via")
	v := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: strings.ToUpper(rw.proto),
		Host: rw.local.Addr().String(), Port: int(rw.local.Port()), Params: sip.NewParams()}
	v.Params.Add("branch", branch)
	v.Params.Add("rport", "")
	r.PrependHeader(v)
}

// body rewrites an SDP's addresses to the party's live address; media
// ports are kept (nothing is sent to them unless --rtp).
func (rw rewriter) body(m hdrs) {
	b := m.Body()
	if len(b) == 0 {
		return
	}
	if ct := m.ContentType(); ct != nil && !strings.EqualFold(strings.TrimSpace(strings.Split(ct.Value(), ";")[0]), "application/sdp") {
		return
	}
	var s sdp.SessionDescription
	if err := s.Unmarshal(b); err != nil {
		return // sent as captured: the target judges it
	}
	ip, af := rw.local.Addr().String(), "IP4"
	if rw.local.Addr().Is6() {
		af = "IP6"
	}
	s.Origin.AddressType, s.Origin.UnicastAddress = af, ip
	fix := func(c *sdp.ConnectionInformation) {
		if c != nil && c.Address != nil && c.Address.Address != "0.0.0.0" {
			c.AddressType, c.Address.Address = af, ip
		}
	}
	fix(s.ConnectionInformation)
	for _, md := range s.MediaDescriptions {
		fix(md.ConnectionInformation)
		if p, ok := rw.media[md.MediaName.Port.Value]; ok {
			md.MediaName.Port.Value = p
		}
	}
	out, err := s.Marshal()
	if err != nil {
		return
	}
	m.SetBody(out)
}

// authorize answers the leg's live challenge for r with the user's
// password; without a challenge the captured credentials are dropped.
func authorize(r *sip.Request, ch *sip.Response, creds Credentials) error {
	captured := ""
	for _, n := range []string{"Authorization", "Proxy-Authorization"} {
		if h := r.GetHeader(n); h != nil && captured == "" {
			captured = h.Value()
		}
		r.RemoveHeader(n)
	}
	if ch == nil {
		return nil
	}
	user := ""
	if c, err := digest.ParseCredentials(captured); err == nil {
		user = c.Username
	}
	if user == "" {
		if f := r.From(); f != nil {
			user = f.Address.User
		}
	}
	pw, ok := creds[user]
	if !ok {
		return fmt.Errorf("challenged for %q: no credentials", user)
	}
	in, out := "WWW-Authenticate", "Authorization"
	if ch.StatusCode == sip.StatusProxyAuthRequired {
		in, out = "Proxy-Authenticate", "Proxy-Authorization"
	}
	var errs []string
	for _, h := range ch.GetHeaders(in) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil || !digest.CanDigest(chal) {
			errs = append(errs, fmt.Sprint(err))
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: string(r.Method), URI: r.Recipient.String(), Username: user, Password: pw})
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		r.AppendHeader(sip.NewHeader(out, cred.String()))
		return nil
	}
	return fmt.Errorf("challenge not answered: %s", strings.Join(errs, "; "))
}

// rack rewrites a PRACK's RAck (RFC 3262 §7.2: "RSeq CSeq method") to name
// the live reliable provisional: the RSeq the target chose and the CSeq of
// the live INVITE.
func (ls *legState) rack(r *sip.Request) {
	h := r.GetHeader("RAck")
	if h == nil {
		return
	}
	f := strings.Fields(h.Value())
	if len(f) != 3 {
		return
	}
	if l, ok := ls.rseqs[f[0]]; ok {
		f[0] = l
	}
	if inv, ok := ls.sent[f[1]+" "+strings.ToUpper(f[2])]; ok && inv.CSeq() != nil {
		f[1] = strconv.FormatUint(uint64(inv.CSeq().SeqNo), 10)
	}
	removeAll(r, "RAck")
	r.AppendHeader(sip.NewHeader("RAck", strings.Join(f, " ")))
}

// Package flow turns a capture into a normalised call flow: the parties
// named by role (the system under test is "PBX", the others A, B, C… in
// the order they first speak), every SIP message as its method or status
// with the headers that matter, and everything a run mints anew — Call-IDs,
// tags, branches, addresses, ports, CSeq numbers — replaced by stable
// placeholders or left out, SDP reduced to its direction and codecs. Two
// runs of the same scenario give the same flow, so a flow can be kept as a
// golden file (pcaps/golden/*.flow) and a new run compared with it
// (Compare).
//
// Retransmissions (a message byte for byte the same as one before it on
// the same path) are left out: how many a run sends depends on timing.
package flow

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipwire"
)

// SUT is the role of the system under test.
const SUT = "PBX"

// Party is one participant of the flow.
type Party struct {
	// Role is "PBX" for the system under test, else "A", "B", … in order
	// of first appearance.
	Role string
	// User is the SIP user the party spoke as (the From user of its first
	// request, the To user of a REGISTER); "" for the PBX or when unknown.
	User string
	// Addrs are the transport addresses the party used (informational: a
	// flow compares by role).
	Addrs []netip.AddrPort
}

// Step is one SIP message of the flow.
type Step struct {
	From, To string // roles
	// Dialog is the placeholder of the message's Call-ID ("D1"), with the
	// placeholder of its tag pair once it has a To tag ("D1/t1"): the
	// branches of a forked call are D1/t1, D1/t2.
	Dialog string
	// Call is the Call-ID placeholder alone ("D1").
	Call string
	// Method is the request's method, or the method of the CSeq a response
	// answers.
	Method string
	// Status is the response's status code; 0 for a request.
	Status int
	// Attrs are the normalised key headers and the SDP summary, in a fixed
	// order ("ruri=1002", "auth", "sdp=sendrecv,PCMU,PCMA,telephone-event").
	Attrs []string
}

// Label is the method of a request ("INVITE") or the status and the
// method it answers ("180 INVITE").
func (s Step) Label() string {
	if s.Status == 0 {
		return s.Method
	}
	return fmt.Sprintf("%d %s", s.Status, s.Method)
}

// Flow is a normalised call flow.
type Flow struct {
	Parties []Party
	Steps   []Step
}

// Option configures New.
type Option func(*options)

type options struct {
	sut    netip.AddrPort
	hasSUT bool
}

// WithSUT names the address of the system under test; without it the
// party that exchanges messages with the most other parties is taken.
func WithSUT(addr netip.AddrPort) Option {
	return func(o *options) { o.sut, o.hasSUT = addr, true }
}

// New normalises the SIP messages of a capture (sipwire order).
func New(msgs []sipwire.Message, opts ...Option) Flow {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	msgs = causal(dedupe(msgs))
	n := newNamer(msgs, o)
	f := Flow{Parties: n.parties()}
	for _, m := range msgs {
		f.Steps = append(f.Steps, n.step(m))
	}
	return f
}

// dedupe drops retransmissions: a message byte for byte equal to an
// earlier one between the same two addresses, and an ACK repeating an
// earlier one's Call-ID and CSeq on the same path. The second is how a UAC
// answers a retransmitted 2xx (RFC 3261 §13.2.2.4): the ACK is sent again,
// but as a new transaction its Via branch may differ, so it is not byte
// for byte the same; how many a run sends depends on timing.
func dedupe(msgs []sipwire.Message) []sipwire.Message {
	type key struct {
		src, dst netip.AddrPort
		raw      string
	}
	seen := map[key]bool{}
	out := make([]sipwire.Message, 0, len(msgs))
	for _, m := range msgs {
		k := key{m.Src, m.Dst, m.Msg.String()}
		if r, ok := m.Msg.(*sip.Request); ok && r.Method == sip.ACK && r.CallID() != nil && r.CSeq() != nil {
			k.raw = "ACK " + r.CallID().Value() + " " + strconv.FormatUint(uint64(r.CSeq().SeqNo), 10)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, m)
	}
	return out
}

// namer assigns the placeholders.
type namer struct {
	alias map[netip.AddrPort]string // address -> transport key (where it listens)
	sut   string                    // the SUT's transport key
	ident map[identKey]string       // a non-SUT end of a Call-ID -> the user it is
	role  map[string]string         // party -> role
	order []string                  // parties in role order
	addrs map[string][]netip.AddrPort
	users map[string]string
	calls map[string]string            // Call-ID -> D<n>
	tags  map[string]map[string]string // Call-ID -> tag pair -> t<n>
	// contacts maps a Contact user registered in the capture to the
	// address-of-record user that registered it, where they differ
	// (baresip registers 1001 with Contact user "1001-0x55d0…").
	contacts map[string]string
}

type identKey struct{ callID, key string }

// partyKey is where a message's sender listens: a request's top Via
// sent-by when it is an address (a TCP connection's ephemeral port belongs
// to the party that listens at its Via), else the source address.
func partyKey(m sipwire.Message) (string, bool) {
	req, ok := m.Msg.(*sip.Request)
	if !ok {
		return "", false
	}
	via := req.Via()
	if via == nil || via.Host == "" {
		return "", false
	}
	addr, err := netip.ParseAddr(strings.Trim(via.Host, "[]"))
	if err != nil || via.Port == 0 {
		return "", false
	}
	return netip.AddrPortFrom(addr.Unmap(), uint16(via.Port)).String(), true
}

func (n *namer) key(a netip.AddrPort) string {
	if k, ok := n.alias[a]; ok {
		return k
	}
	return a.String()
}

// A party is a transport key and, for every party but the SUT, the SIP
// user at that end: simulated phones (and many softphones on one host)
// share a socket, so the user tells them apart. The user of an end is
// fixed per Call-ID by the first message there: the From user of a request
// it sent (a REGISTER's To user), the Request-URI user of a request it
// received, the To user of a response it sent, the From user of a
// response it received.
func newNamer(msgs []sipwire.Message, o options) *namer {
	n := &namer{
		alias: map[netip.AddrPort]string{},
		ident: map[identKey]string{},
		role:  map[string]string{},
		addrs: map[string][]netip.AddrPort{},
		users: map[string]string{},
		calls: map[string]string{},
		tags:  map[string]map[string]string{},

		contacts: registeredContacts(msgs),
	}
	for _, m := range msgs {
		if k, ok := partyKey(m); ok {
			if _, known := n.alias[m.Src]; !known {
				n.alias[m.Src] = k
			}
		}
	}
	n.sut = n.guessSUT(msgs, o)
	var seen []string
	for _, m := range msgs {
		for _, p := range []string{n.party(m, true), n.party(m, false)} {
			if _, ok := n.role[p]; !ok {
				n.role[p] = ""
				seen = append(seen, p)
			}
		}
		for _, e := range []struct {
			a   netip.AddrPort
			src bool
		}{{m.Src, true}, {m.Dst, false}} {
			p := n.party(m, e.src)
			if !slices.Contains(n.addrs[p], e.a) {
				n.addrs[p] = append(n.addrs[p], e.a)
			}
		}
	}
	n.role[n.sut] = SUT
	n.order = append(n.order, n.sut)
	for _, p := range seen {
		if p == n.sut {
			continue
		}
		n.role[p] = roleName(len(n.order) - 1)
		n.order = append(n.order, p)
	}
	return n
}

// guessSUT: the --sut address if given; else the transport key that
// received the most REGISTERs (a registrar), else the one that talks to
// the most others, else the destination of the first request.
func (n *namer) guessSUT(msgs []sipwire.Message, o options) string {
	if o.hasSUT {
		return n.key(o.sut)
	}
	registers := map[string]int{}
	peers := map[string]map[string]bool{}
	first := ""
	for _, m := range msgs {
		s, d := n.key(m.Src), n.key(m.Dst)
		for _, k := range []string{s, d} {
			if peers[k] == nil {
				peers[k] = map[string]bool{}
			}
		}
		peers[s][d], peers[d][s] = true, true
		if req, ok := m.Msg.(*sip.Request); ok {
			if first == "" {
				first = d
			}
			if req.Method == sip.REGISTER {
				registers[d]++
			}
		}
	}
	best := ""
	for k, c := range registers {
		if best == "" || c > registers[best] || (c == registers[best] && k < best) {
			best = k
		}
	}
	if best != "" {
		return best
	}
	for k, p := range peers {
		if best == "" || len(p) > len(peers[best]) || (len(p) == len(peers[best]) && k < best) {
			best = k
		}
	}
	if first != "" && len(peers[first]) == len(peers[best]) {
		return first
	}
	return best
}

// party names one end of m: the SUT's transport key, or a transport key
// and the user at that end.
func (n *namer) party(m sipwire.Message, src bool) string {
	a := m.Dst
	if src {
		a = m.Src
	}
	k := n.key(a)
	if k == n.sut {
		return k
	}
	id := ""
	if c := m.Msg.CallID(); c != nil {
		id = c.Value()
	}
	ik := identKey{id, k}
	user, ok := n.ident[ik]
	if !ok {
		user = n.aor(endUser(m.Msg, src))
		n.ident[ik] = user
		if n.users[k+"|"+user] == "" {
			n.users[k+"|"+user] = user
		}
	}
	return k + "|" + user
}

// registeredContacts maps the Contact users of the capture's REGISTERs to
// the address-of-record (To) user they were registered for, where the two
// differ: a proxy that looked the AOR up sends the call to the contact,
// and the user a softphone mints for its contact is not who it is.
func registeredContacts(msgs []sipwire.Message) map[string]string {
	out := map[string]string{}
	for _, m := range msgs {
		req, ok := m.Msg.(*sip.Request)
		if !ok || req.Method != sip.REGISTER || req.To() == nil || req.To().Address.User == "" {
			continue
		}
		aor := req.To().Address.User
		for _, v := range headerValues(req, "Contact") {
			if u := addrUser(v); u != "" && u != aor {
				out[u] = aor
			}
		}
	}
	return out
}

// aor is the address-of-record user of a user that is a registered
// contact's, else user itself.
func (n *namer) aor(user string) string {
	if a, ok := n.contacts[user]; ok {
		return a
	}
	return user
}

// endUser is the user at one end of a message (see newNamer).
func endUser(m sip.Message, src bool) string {
	from, to := "", ""
	if h := m.From(); h != nil {
		from = h.Address.User
	}
	if h := m.To(); h != nil {
		to = h.Address.User
	}
	switch v := m.(type) {
	case *sip.Request:
		switch {
		case src && v.Method == sip.REGISTER:
			return to
		case src:
			return from
		case v.Recipient.User != "":
			return v.Recipient.User
		default:
			return to
		}
	default:
		if src {
			return to
		}
		return from
	}
}

// roleName: A … Z, then P27, P28 …
func roleName(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return fmt.Sprintf("P%d", i+1)
}

func (n *namer) parties() []Party {
	out := make([]Party, 0, len(n.order))
	for _, k := range n.order {
		p := Party{Role: n.role[k], Addrs: n.addrs[k]}
		if p.Role != SUT && n.users[k] != "" {
			p.User = token(n.users[k])
		}
		out = append(out, p)
	}
	return out
}

func (n *namer) roleOf(m sipwire.Message, src bool) string {
	if r, ok := n.role[n.party(m, src)]; ok {
		return r
	}
	return "?"
}

// call returns the placeholder of a Call-ID, minting the next one.
func (n *namer) call(id string) string {
	if d, ok := n.calls[id]; ok {
		return d
	}
	d := fmt.Sprintf("D%d", len(n.calls)+1)
	n.calls[id] = d
	return d
}

// knownCall is the placeholder of a Call-ID seen before, or "D?" (a
// Replaces or Refer-To naming a call the capture does not hold).
func (n *namer) knownCall(id string) string {
	if d, ok := n.calls[id]; ok {
		return d
	}
	return "D?"
}

// dialog is the Call-ID placeholder with the tag pair's, once there is a
// To tag.
func (n *namer) dialog(m sip.Message) (call, dialog string) {
	id := ""
	if c := m.CallID(); c != nil {
		id = c.Value()
	}
	call = n.call(id)
	var from, to string
	if h := m.From(); h != nil {
		from, _ = h.Params.Get("tag")
	}
	if h := m.To(); h != nil {
		to, _ = h.Params.Get("tag")
	}
	if to == "" {
		return call, call
	}
	pair := min(from, to) + "\x00" + max(from, to)
	tags := n.tags[id]
	if tags == nil {
		tags = map[string]string{}
		n.tags[id] = tags
	}
	t, ok := tags[pair]
	if !ok {
		t = fmt.Sprintf("t%d", len(tags)+1)
		tags[pair] = t
	}
	return call, call + "/" + t
}

func (n *namer) step(m sipwire.Message) Step {
	s := Step{From: n.roleOf(m, true), To: n.roleOf(m, false)}
	s.Call, s.Dialog = n.dialog(m.Msg)
	if c := m.Msg.CSeq(); c != nil {
		s.Method = string(c.MethodName)
	}
	switch v := m.Msg.(type) {
	case *sip.Request:
		s.Method = string(v.Method)
		s.Attrs = n.requestAttrs(v)
	case *sip.Response:
		s.Status = v.StatusCode
		s.Attrs = n.responseAttrs(v)
	}
	s.Method = token(s.Method)
	if _, err := strconv.Atoi(s.Method); err == nil {
		s.Method = "?" + s.Method // a method that reads as a status would not parse back
	}
	if s.Status != 0 && (s.Status < 100 || s.Status > 699) {
		s.Attrs = append([]string{"status=" + strconv.Itoa(s.Status)}, s.Attrs...)
		s.Status = 699 // not a status: shown as the last class, its code kept
	}
	return s
}

package capmut

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"

	"pbxlab/internal/flow"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
)

// Party addresses of clones: clone i's k-th party address is slot
// s = i*len(parties)+k, at 127.0.0.0 + 2 + s/portSpan (127.0.0.2, …: never
// the SUT's 127.0.0.1) and port portBase + s%portSpan. IPv6 parties keep
// their address and take the port alone.
const (
	portBase = 10000
	portSpan = 50000
)

// Template is a capture prepared for cloning: its dialogs copied with
// fresh Call-IDs, tags and branches, their other parties moved to
// addresses of their own, their times shifted.
type Template struct {
	msgs    []sipwire.Message
	sut     []netip.AddrPort
	parties []netip.AddrPort // non-SUT addresses, signalling and media, in order of appearance
	index   map[netip.AddrPort]int
	start   time.Time
	dur     time.Duration
	calls   int
	// users are the template's users (WithUsers), userFirst the first
	// number clones take (0: clones keep the template's).
	users     map[string]int
	userFirst uint64
}

// NewTemplate prepares msgs (a capture's SIP, capture order). The SUT's
// addresses are those of flow.New's PBX unless WithSUT names them.
func NewTemplate(msgs []sipwire.Message, opts ...Option) (*Template, error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("capmut template: %w", flow.ErrNoSIP)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.sut) == 0 {
		for _, p := range flow.New(msgs).Parties {
			if p.Role == flow.SUT {
				o.sut = p.Addrs
			}
		}
	}
	t := &Template{msgs: msgs, sut: o.sut, index: map[netip.AddrPort]int{}, start: msgs[0].Time, users: map[string]int{}, userFirst: o.userFirst}
	calls := map[string]bool{}
	for _, m := range msgs {
		calls[callID(m.Msg)] = true
		for _, h := range []*sip.Uri{uriOf(m.Msg.From()), uriOf(m.Msg.To())} {
			if h != nil && h.User != "" {
				if _, ok := t.users[h.User]; !ok {
					t.users[h.User] = len(t.users)
				}
			}
		}
		t.start = minTime(t.start, m.Time)
		t.dur = max(t.dur, m.Time.Sub(t.start))
		for _, a := range t.addrsOf(m) {
			t.addParty(a)
		}
	}
	t.calls = len(calls)
	return t, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (t *Template) addParty(a netip.AddrPort) {
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	if !a.IsValid() || slices.Contains(t.sut, a) {
		return
	}
	if _, ok := t.index[a]; !ok {
		t.index[a] = len(t.parties)
		t.parties = append(t.parties, a)
	}
}

// addrsOf lists the transport addresses of m: its ends, Via sent-by,
// Contact and Request-URI host:port, and its SDP's media address.
func (t *Template) addrsOf(m sipwire.Message) []netip.AddrPort {
	out := []netip.AddrPort{m.Src, m.Dst}
	for _, h := range m.Msg.GetHeaders("Via") {
		if v, ok := h.(*sip.ViaHeader); ok {
			out = append(out, hostPort(v.Host, v.Port))
		}
	}
	for _, h := range m.Msg.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok {
			out = append(out, hostPort(c.Address.Host, c.Address.Port))
		}
	}
	if r, ok := m.Msg.(*sip.Request); ok {
		out = append(out, hostPort(r.Recipient.Host, r.Recipient.Port))
	}
	if !slices.Contains(t.sut, m.Src) {
		if a, ok := mediaAddr(m.Msg.Body()); ok {
			out = append(out, a)
		}
	}
	return out
}

func hostPort(host string, port int) netip.AddrPort {
	a, err := netip.ParseAddr(trimBrackets(host))
	if err != nil || port <= 0 || port > 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port))
}

func trimBrackets(h string) string {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}

// mediaAddr is the first audio stream's address of an SDP body.
func mediaAddr(body []byte) (netip.AddrPort, bool) {
	if len(body) == 0 {
		return netip.AddrPort{}, false
	}
	var sd sdp.SessionDescription
	if sd.Unmarshal(body) != nil {
		return netip.AddrPort{}, false
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		c := md.ConnectionInformation
		if c == nil {
			c = sd.ConnectionInformation
		}
		if c == nil || c.Address == nil {
			return netip.AddrPort{}, false
		}
		a, err := netip.ParseAddr(c.Address.Address)
		if err != nil || md.MediaName.Port.Value <= 0 || md.MediaName.Port.Value > 65535 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(a.Unmap(), uint16(md.MediaName.Port.Value)), true
	}
	return netip.AddrPort{}, false
}

// Duration is the time from the template's first message to its last.
func (t *Template) Duration() time.Duration { return t.dur }

// Calls is the number of Call-IDs (dialogs) in the template.
func (t *Template) Calls() int { return t.calls }

// Messages is the number of SIP messages in the template.
func (t *Template) Messages() int { return len(t.msgs) }

// Parties are the template's non-SUT addresses that clones move.
func (t *Template) Parties() []netip.AddrPort { return slices.Clone(t.parties) }

// PartyAddr is where clone i puts the template's party address a
// (a itself if it is not a party's).
func (t *Template) PartyAddr(i int, a netip.AddrPort) netip.AddrPort {
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	k, ok := t.index[a]
	if !ok {
		return a
	}
	s := i*len(t.parties) + k
	port := uint16(portBase + s%portSpan)
	if !a.Addr().Is4() {
		return netip.AddrPortFrom(a.Addr(), port)
	}
	h := uint32(127)<<24 + 2 + uint32(s/portSpan)
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}), port)
}

// Clone returns copy i of the template's messages, its first at start:
// Call-IDs, From/To tags and Via branches get the suffix "-c<i>", the
// parties' addresses (packets, Via, Contact, Request-URI, their SDP's
// connection address and media port) move to PartyAddr(i, …). The SUT's
// addresses are kept. Retransmissions stay retransmissions.
func (t *Template) Clone(i int, start time.Time) ([]sipwire.Message, error) {
	suffix := "-c" + strconv.Itoa(i)
	out := make([]sipwire.Message, 0, len(t.msgs))
	for _, m := range t.msgs {
		c, err := reparse(m.Msg)
		if err != nil {
			return nil, fmt.Errorf("capmut clone %d: %w", i, err)
		}
		t.rewrite(c, i, suffix, !slices.Contains(t.sut, m.Src))
		out = append(out, sipwire.Message{
			Time:  start.Add(m.Time.Sub(t.start)),
			Proto: m.Proto,
			Src:   t.PartyAddr(i, m.Src),
			Dst:   t.PartyAddr(i, m.Dst),
			Msg:   c,
		})
	}
	slices.SortStableFunc(out, func(a, b sipwire.Message) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// rewrite gives c clone i's identifiers and addresses.
func (t *Template) rewrite(c sip.Message, i int, suffix string, fromParty bool) {
	if id := c.CallID(); id != nil {
		*id = sip.CallIDHeader(id.Value() + suffix)
	}
	if h := c.From(); h != nil {
		if tag, ok := h.Params.Get("tag"); ok {
			h.Params.Add("tag", tag+suffix)
		}
	}
	if h := c.To(); h != nil {
		if tag, ok := h.Params.Get("tag"); ok {
			h.Params.Add("tag", tag+suffix)
		}
	}
	for _, h := range c.GetHeaders("Via") {
		v, ok := h.(*sip.ViaHeader)
		if !ok {
			continue
		}
		if b, ok := v.Params.Get("branch"); ok {
			v.Params.Add("branch", b+suffix)
		}
		old := hostPort(v.Host, v.Port)
		if na := t.PartyAddr(i, old); old.IsValid() && na != old {
			v.Host, v.Port = hostString(na.Addr()), int(na.Port())
			if rp, ok := v.Params.Get("rport"); ok && rp != "" {
				v.Params.Add("rport", strconv.Itoa(int(na.Port())))
			}
			if _, ok := v.Params.Get("received"); ok {
				v.Params.Add("received", na.Addr().String())
			}
		}
	}
	for _, h := range c.GetHeaders("Contact") {
		if ct, ok := h.(*sip.ContactHeader); ok {
			moveURI(&ct.Address, t, i)
		}
	}
	if r, ok := c.(*sip.Request); ok {
		moveURI(&r.Recipient, t, i)
	}
	if t.userFirst > 0 {
		t.renameUsers(c, i)
	}
	if fromParty && len(c.Body()) > 0 {
		if body, ok := t.moveSDP(c.Body(), i); ok {
			c.SetBody(body)
		}
	}
}

func moveURI(u *sip.Uri, t *Template, i int) {
	old := hostPort(u.Host, u.Port)
	if na := t.PartyAddr(i, old); old.IsValid() && na != old {
		u.Host, u.Port = hostString(na.Addr()), int(na.Port())
	}
}

func hostString(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// moveSDP moves a party's SDP (connection address and audio port).
func (t *Template) moveSDP(body []byte, i int) ([]byte, bool) {
	old, ok := mediaAddr(body)
	if !ok {
		return nil, false
	}
	na := t.PartyAddr(i, old)
	if na == old {
		return nil, false
	}
	var sd sdp.SessionDescription
	if sd.Unmarshal(body) != nil {
		return nil, false
	}
	set := func(c *sdp.ConnectionInformation) {
		if c != nil && c.Address != nil {
			c.Address.Address = na.Addr().String()
			c.AddressType = "IP6"
			if na.Addr().Is4() {
				c.AddressType = "IP4"
			}
		}
	}
	set(sd.ConnectionInformation)
	if sd.Origin.UnicastAddress == old.Addr().String() {
		sd.Origin.UnicastAddress = na.Addr().String()
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "audio" && md.MediaName.Port.Value == int(old.Port()) {
			md.MediaName.Port.Value = int(na.Port())
			set(md.ConnectionInformation)
		}
	}
	b, err := sd.Marshal()
	if err != nil {
		return nil, false
	}
	return b, true
}

// Media is one RTP stream of a clone: between the two ends' SDP media
// addresses of an answered INVITE dialog, from its 2xx to its BYE (or the
// clone's last message).
type Media struct {
	A, B     netip.AddrPort
	From, To time.Time
	SSRC     uint32
	CallID   string
}

// MediaOf lists the RTP streams a clone's messages set up.
func MediaOf(msgs []sipwire.Message) []Media {
	type end struct {
		callID string
		sender netip.AddrPort
	}
	media := map[end]netip.AddrPort{}
	answered := map[string]time.Time{}
	ended := map[string]time.Time{}
	var order []string
	last := time.Time{}
	for _, m := range msgs {
		id := callID(m.Msg)
		last = m.Time
		if a, ok := mediaAddr(m.Msg.Body()); ok {
			media[end{id, m.Src}] = a
		}
		switch v := m.Msg.(type) {
		case *sip.Response:
			if v.StatusCode/100 == 2 && methodOf(v) == sip.INVITE {
				if _, ok := answered[id]; !ok {
					answered[id] = m.Time
					order = append(order, id)
				}
			}
		case *sip.Request:
			if v.Method == sip.BYE {
				if _, ok := ended[id]; !ok {
					ended[id] = m.Time
				}
			}
		}
	}
	var out []Media
	for n, id := range order {
		var ends []netip.AddrPort
		for e, a := range media {
			if e.callID == id {
				ends = append(ends, a)
			}
		}
		if len(ends) != 2 {
			continue
		}
		slices.SortFunc(ends, netip.AddrPort.Compare)
		to, ok := ended[id]
		if !ok {
			to = last
		}
		out = append(out, Media{A: ends[0], B: ends[1], From: answered[id], To: to, SSRC: uint32(0x5eed0000 + n), CallID: id})
	}
	return out
}

// sipPackets turns messages into packets (sipgo serialises them).
func sipPackets(msgs []sipwire.Message) []pcapio.Packet {
	out := make([]pcapio.Packet, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, pcapio.Packet{Time: m.Time, Proto: m.Proto, Src: m.Src, Dst: m.Dst, Payload: []byte(m.Msg.String())})
	}
	return out
}

func uriOf(h interface{ Value() string }) *sip.Uri {
	switch v := h.(type) {
	case *sip.FromHeader:
		if v != nil {
			return &v.Address
		}
	case *sip.ToHeader:
		if v != nil {
			return &v.Address
		}
	}
	return nil
}

// user is clone i's user for the template's user u ("" when u is not one
// of the template's).
func (t *Template) user(u string, i int) string {
	j, ok := t.users[u]
	if !ok {
		return ""
	}
	return strconv.FormatUint(t.userFirst+uint64(i*len(t.users)+j), 10)
}

// renameUsers gives c clone i's users (WithUsers): in From, To, the
// Request-URI, Contacts (a user "1001" or "1001-…") and the digest
// username of credentials.
func (t *Template) renameUsers(c sip.Message, i int) {
	uris := []*sip.Uri{uriOf(c.From()), uriOf(c.To())}
	if r, ok := c.(*sip.Request); ok {
		uris = append(uris, &r.Recipient)
	}
	for _, h := range c.GetHeaders("Contact") {
		if ct, ok := h.(*sip.ContactHeader); ok {
			uris = append(uris, &ct.Address)
		}
	}
	for _, u := range uris {
		if u == nil {
			continue
		}
		head, tail, cut := strings.Cut(u.User, "-")
		if nu := t.user(head, i); nu != "" {
			if cut {
				nu += "-" + tail
			}
			u.User = nu
		}
	}
	r, ok := c.(*sip.Request)
	if !ok {
		return
	}
	for _, n := range []string{"Authorization", "Proxy-Authorization"} {
		h := r.GetHeader(n)
		if h == nil {
			continue
		}
		v := h.Value()
		const key = `username="`
		at := strings.Index(v, key)
		if at < 0 {
			continue
		}
		name, rest, ok := strings.Cut(v[at+len(key):], `"`)
		nu := t.user(name, i)
		if !ok || nu == "" {
			continue
		}
		v = v[:at+len(key)] + nu + `"` + rest
		r.RemoveHeader(n)
		r.AppendHeader(sip.NewHeader(n, v))
	}
}

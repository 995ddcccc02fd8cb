package phone

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// Dial calls number through the Agent's Target (the PBX): the INVITE goes
// to Target with Request-URI sip:number@domain. It returns once the INVITE
// is sent; follow the call with WaitRinging, WaitAnswer and Wait.
func (p *Phone) Dial(ctx context.Context, number string) (*Call, error) {
	a := p.agent
	if a.cfg.Target == "" {
		return nil, fmt.Errorf("dial %s: %w", number, ErrNoTarget)
	}
	return p.dial(ctx, a.aor(number), number, a.cfg.Target)
}

// DialURI calls a SIP URI directly, without the Target: the INVITE goes to
// the URI's host and port, e.g. another phone's Contact() for calls without
// any PBX.
func (p *Phone) DialURI(ctx context.Context, uri string) (*Call, error) {
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil {
		return nil, fmt.Errorf("dial %q: %w: %w", uri, ErrBadURI, err)
	}
	if u.Scheme != "sip" || u.Host == "" {
		return nil, fmt.Errorf("dial %q: %w: want sip:user@host[:port]", uri, ErrBadURI)
	}
	return p.dial(ctx, u, u.User, "")
}

// DialSpec is an INVITE as a server-side caller (a carrier, a gateway)
// sends it, for DialWith.
type DialSpec struct {
	// URI is the Request-URI, e.g. the Contact a PBX registered; required.
	URI string
	// To is the To URI, e.g. sip:DID@domain; default URI without parameters.
	To string
	// Dest is where the INVITE is sent as host:port; default URI's host and port.
	Dest string
	// Headers are added to the INVITE (P-Asserted-Identity, Privacy, ...).
	Headers []sip.Header
}

// DialWith calls as spec says: Request-URI, To and destination chosen
// independently, extra headers added. Follow the call as after Dial.
func (p *Phone) DialWith(ctx context.Context, spec DialSpec) (*Call, error) {
	var u sip.Uri
	if err := sip.ParseUri(spec.URI, &u); err != nil {
		return nil, fmt.Errorf("dial %q: %w: %w", spec.URI, ErrBadURI, err)
	}
	if u.Scheme != "sip" || u.Host == "" {
		return nil, fmt.Errorf("dial %q: %w: want sip:user@host[:port]", spec.URI, ErrBadURI)
	}
	var to *sip.Uri
	if spec.To != "" {
		to = &sip.Uri{}
		if err := sip.ParseUri(spec.To, to); err != nil {
			return nil, fmt.Errorf("dial %q to %q: %w: %w", spec.URI, spec.To, ErrBadURI, err)
		}
	}
	remote := u.User
	if to != nil {
		remote = to.User
	}
	return p.dialTo(ctx, u, to, remote, spec.Dest, spec.Headers)
}

func (p *Phone) dial(ctx context.Context, ruri sip.Uri, remote, dest string) (*Call, error) {
	return p.dialTo(ctx, ruri, nil, remote, dest, nil)
}

func (p *Phone) dialTo(ctx context.Context, ruri sip.Uri, toURI *sip.Uri, remote, dest string, extra []sip.Header) (*Call, error) {
	a := p.agent
	mc := p.mediaConfig()
	m, sdpAddr, err := a.callMedia(mc)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", remote, err)
	}
	offer, err := a.offer(m, sdpAddr, mc.codecs, rand.Uint64N(1<<62))
	if err != nil {
		closeMedia(m)
		return nil, fmt.Errorf("dial %s: %w", remote, err)
	}

	fromTag := sip.GenerateTagN(16)
	cid := randomID()
	req := sip.NewRequest(sip.INVITE, ruri)
	from := &sip.FromHeader{Address: a.aor(p.cfg.Number), Params: sip.NewParams()}
	from.Params.Add("tag", fromTag)
	to := &sip.ToHeader{Address: sip.Uri{Scheme: ruri.Scheme, User: ruri.User, Host: ruri.Host, Port: ruri.Port}}
	if toURI != nil {
		to.Address = *toURI
	}
	if a.cfg.Domain == "" { // direct dialling without a domain: use our address
		from.Address.Host = a.addr.Addr().String()
	}
	callID := sip.CallIDHeader(cid)
	contact := p.contactHeader()
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, NOTIFY"))
	if h := p.rel100().header(); h != nil {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("User-Agent", a.uaName))
	for _, h := range extra {
		req.AppendHeader(sip.HeaderClone(h))
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	p.timerHeaders(req, p.sessionTimer().Expires)
	req.SetBody(offer)
	req.SetTransport(a.sipTransport)
	if dest != "" {
		req.SetDestination(dest)
	}

	c := newCall(p, Outgoing, cid, fromTag, remote)
	c.media = m
	c.localSDP = offer
	c.invite = req
	if err := a.track(c); err != nil {
		closeMedia(m)
		return nil, fmt.Errorf("dial %s: %w", remote, err)
	}
	p.addCall(c)
	c.invitedAt = a.clock.Now()
	err = a.prepare(ctx, req)
	var tx sip.ClientTransaction
	if err == nil {
		tx, err = a.client.TransactionRequest(ctx, req)
	}
	if err != nil {
		c.finish(End{By: Local, Reason: ReasonError, Err: err})
		a.wg.Done()
		return nil, fmt.Errorf("dial %s: %w", remote, err)
	}
	go func() {
		defer a.wg.Done()
		c.runOutgoing(tx)
	}()
	return c, nil
}

// offer is the SDP offer of a new call: marshalled, or, for a call without
// media (whose address and codecs are the same call after call), written
// into the Agent's template of the last address and codecs offered.
func (a *Agent) offer(m *media, local netip.AddrPort, codecs []sdpneg.Codec, sessID uint64) ([]byte, error) {
	if m != nil {
		return sdpneg.Offer(local, codecs, sessID)
	}
	o := a.offerer.Load()
	if o == nil || !o.For(local, codecs) {
		var err error
		if o, err = sdpneg.NewOfferer(local, codecs); err != nil {
			return nil, err
		}
		a.offerer.Store(o)
	}
	return o.Offer(sessID), nil
}

// track registers a call on the Agent and counts its goroutine (the caller
// must a.wg.Done when that goroutine ends).
func (a *Agent) track(c *Call) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	a.calls[c.key] = c
	a.wg.Add(1)
	return nil
}

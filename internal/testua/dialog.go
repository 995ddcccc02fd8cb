package testua

import (
	"context"
	"fmt"
	"slices"

	"github.com/emiago/sipgo/sip"
)

// Dialog is the UA's state of one dialog (RFC 3261 §12): Call-ID, tags,
// the local and remote URIs, the remote target, the route set and the
// local CSeq. The UAC side comes from ClientTx.Dialog/DialogFor, the UAS
// side from Incoming.Dialog. It only builds requests; sending is up to the
// test (UA.Send, UA.Start or Dialog.Start), every request going to the PBX.
type Dialog struct {
	ua                  *UA
	callID              string
	localTag, remoteTag string
	local, remote       sip.Uri // the From and To addresses of requests we send

	// guarded by ua.mu
	target sip.Uri
	routes []sip.Uri
	cseq   uint32
}

// uacDialog is the dialog a 1xx/2xx res to our INVITE req creates
// (RFC 3261 §12.1.2).
func uacDialog(u *UA, req *sip.Request, res *sip.Response) *Dialog {
	d := &Dialog{ua: u, callID: callIDOf(req), local: req.From().Address, remote: res.To().Address,
		target: req.Recipient, cseq: req.CSeq().SeqNo}
	d.localTag, _ = req.From().Params.Get("tag")
	d.remoteTag, _ = res.To().Params.Get("tag")
	if c := res.Contact(); c != nil {
		d.target = c.Address
	}
	for _, h := range res.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			d.routes = append(d.routes, rr.Address)
		}
	}
	slices.Reverse(d.routes)
	return d
}

// uasDialog is the dialog our response with To tag tag to req creates
// (RFC 3261 §12.1.1).
func uasDialog(u *UA, req *sip.Request, tag string) *Dialog {
	d := &Dialog{ua: u, callID: callIDOf(req), localTag: tag, local: req.To().Address, remote: req.From().Address,
		target: req.From().Address}
	d.remoteTag, _ = req.From().Params.Get("tag")
	if c := req.Contact(); c != nil {
		d.target = c.Address
	}
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			d.routes = append(d.routes, rr.Address)
		}
	}
	return d
}

// CallID is the dialog's Call-ID.
func (d *Dialog) CallID() string { return d.callID }

// LocalTag is our tag (From of our requests).
func (d *Dialog) LocalTag() string { return d.localTag }

// RemoteTag is the peer's tag (To of our requests).
func (d *Dialog) RemoteTag() string { return d.remoteTag }

// RemoteTarget is the Request-URI of our requests (the peer's Contact).
func (d *Dialog) RemoteTarget() sip.Uri {
	d.ua.mu.Lock()
	defer d.ua.mu.Unlock()
	return d.target
}

// SetRemoteTarget replaces the remote target (a target refresh the test
// handles itself).
func (d *Dialog) SetRemoteTarget(uri sip.Uri) {
	d.ua.mu.Lock()
	d.target = uri
	d.ua.mu.Unlock()
}

// RouteSet is the route set, in the order of our Route headers.
func (d *Dialog) RouteSet() []sip.Uri {
	d.ua.mu.Lock()
	defer d.ua.mu.Unlock()
	return slices.Clone(d.routes)
}

// LocalCSeq is the CSeq number of our last request in the dialog.
func (d *Dialog) LocalCSeq() uint32 {
	d.ua.mu.Lock()
	defer d.ua.mu.Unlock()
	return d.cseq
}

// refreshLocked takes the remote target of a 2xx to a target refresh
// request (RFC 3261 §12.2.1.2). Call with ua.mu held.
func (d *Dialog) refreshLocked(res *sip.Response) {
	cs := res.CSeq()
	if cs == nil || (cs.MethodName != sip.INVITE && cs.MethodName != sip.UPDATE) {
		return
	}
	if c := res.Contact(); c != nil {
		d.target = c.Address
	}
}

// NewRequest builds the next request in the dialog (RFC 3261 §12.2.1.1):
// the next CSeq, Request-URI and Route from the remote target and route
// set, tags, a Via with a fresh branch, Max-Forwards 70, Contact for target
// refresh methods, no body (see SetBody). Change it freely before sending.
func (d *Dialog) NewRequest(method sip.RequestMethod) *sip.Request {
	d.ua.mu.Lock()
	d.cseq++
	n := d.cseq
	d.ua.mu.Unlock()
	return d.build(method, n)
}

// NewAck builds the ACK of a 2xx to the INVITE with CSeq number cseq (RFC
// 3261 §13.2.2.4: a new branch, the INVITE's CSeq number) with body as its
// application/sdp body (nil: none).
func (d *Dialog) NewAck(cseq uint32, body []byte) *sip.Request {
	req := d.build(sip.ACK, cseq)
	if body != nil {
		SetBody(req, "application/sdp", body)
	}
	return req
}

func (d *Dialog) build(method sip.RequestMethod, n uint32) *sip.Request {
	d.ua.mu.Lock()
	ruri, routes := d.target, slices.Clone(d.routes)
	d.ua.mu.Unlock()
	if len(routes) > 0 && !routes[0].UriParams.Has("lr") {
		// strict router (RFC 3261 §12.2.1.1): it becomes the Request-URI
		ruri, routes = routes[0], append(routes[1:], ruri)
	}
	req := sip.NewRequest(method, ruri)
	req.AppendHeader(d.ua.NewVia())
	for _, r := range routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{Address: d.local, Params: sip.HeaderParams{{K: "tag", V: d.localTag}}})
	req.AppendHeader(&sip.ToHeader{Address: d.remote, Params: sip.HeaderParams{{K: "tag", V: d.remoteTag}}})
	id := sip.CallIDHeader(d.callID)
	req.AppendHeader(&id)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: n, MethodName: method})
	if hasContact(method) {
		req.AppendHeader(d.ua.contactFor(d.local.User))
	}
	req.SetBody(nil)
	req.SetTransport(d.ua.transport)
	return req
}

// Start sends req (built by NewRequest) as a client transaction of the
// dialog: a 2xx to a re-INVITE or UPDATE refreshes the remote target, and
// the transaction's Ack uses this dialog.
func (d *Dialog) Start(req *sip.Request) (*ClientTx, error) {
	return d.ua.start([]byte(req.String()), req, d)
}

// Bye sends a BYE in the dialog and returns its final response.
func (d *Dialog) Bye(ctx context.Context) (*sip.Response, error) {
	tx, err := d.Start(d.NewRequest(sip.BYE))
	if err != nil {
		return nil, fmt.Errorf("bye: %w", err)
	}
	res, err := tx.Final(ctx)
	if err != nil {
		return nil, fmt.Errorf("bye: %w", err)
	}
	return res, nil
}

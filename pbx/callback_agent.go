package pbx

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/call"
	"pbxlab/pbx/internal/services/callback"
	"pbxlab/pbx/internal/sipx"
)

// The callback itself (RFC 3725 third-party call control as RFC 5359's
// click-to-dial does it): the PBX's own caller — an INVITE built here,
// handed to the call layer in-process (never on the wire), trusted by
// its context (agentKey, unforgeable from the network) — calls A showing
// B's number, its offer pointing at the discard port (9) of the PBX's own
// address (a=inactive would leave some phones' media stopped after the
// transfer's re-INVITE). A answers: the PBX ACKs
// and transfers A to B (call.Transfer, as a blind transfer would), its own
// leg leaving the call. What the PBX sends to its own leg afterwards (the
// BYE that ends it) goes to the PBX's own address, which knows no such
// dialog (481): nothing leaves the machine.

// recallRing bounds how long A (then B) rings.
const recallRing = 30 * time.Second

// agentKey marks the context of a call the PBX places itself; its value
// is the number it calls from.
type agentKey struct{}

// agentCaller is the caller of a call the PBX places itself.
func agentCaller(ctx context.Context) (call.Caller, bool) {
	n, ok := ctx.Value(agentKey{}).(string)
	return call.Caller{Number: n, Trusted: true}, ok
}

// recall calls r's caller back, then its callee.
func (s *Server) recall(r callback.Request) {
	defer s.cb.end(r)
	ctx, cancel := context.WithTimeout(context.Background(), 2*recallRing+10*time.Second)
	defer cancel()
	log := s.log.With("component", "callback", "caller", r.Caller, "callee", r.Callee)
	targets, err := s.recallTargets(ctx, r)
	if err != nil {
		log.Info("callback waits: the busy number is not reachable", "error", err)
		return
	}
	callID, code, err := s.agentDial(ctx, r.Callee, r.Caller)
	switch {
	case err != nil:
		log.Warn("callback: calling the requester", "error", err)
		return
	case code == 486 || code == 600 || code == 603:
		log.Info("callback waits: the requester is busy", "status", code)
		s.cb.setCallerBusy(r, true)
		return
	case code >= 300:
		log.Info("callback dropped: the requester did not answer", "status", code)
		s.cb.svc.Done(r.Caller, r.ID)
		return
	}
	c, ok := s.calls.Find(callID)
	if !ok {
		log.Info("callback: the requester hung up at once")
		return
	}
	done := make(chan int, 1)
	c.Do(func() {
		from := c.Caller()
		stay := from.Other()
		if stay == nil {
			done <- 480
			return
		}
		err := c.Transfer(call.BlindTransfer{From: from, Stay: stay, Targets: targets, Caller: r.Caller, Callee: r.Callee, Ring: recallRing,
			Progress: func(code int, _ string, final bool) {
				if !final {
					return
				}
				if code == 200 {
					s.lines.add(c.ID(), r.Callee)
					c.End(from)
				} else {
					hangupOnce(c, fmt.Sprintf("callback: %s answered %d", r.Callee, code))
				}
				done <- code
			}})
		if err != nil {
			log.Warn("callback: ringing the busy number", "error", err)
			hangupOnce(c, "callback: "+err.Error())
			done <- 500
		}
	})
	select {
	case code := <-done:
		switch {
		case code == 200:
			log.Info("callback connected")
			s.cb.svc.Done(r.Caller, r.ID)
		case code == 486:
			log.Info("callback waits: the number is busy again")
		default:
			log.Info("callback dropped", "status", code)
			s.cb.svc.Done(r.Caller, r.ID)
		}
	case <-c.Done():
		log.Info("callback: the requester hung up before the number answered")
	case <-ctx.Done():
	}
}

// recallTargets is where the busy number rings for the requester (number
// analysis as a call of the requester's): an error when it would not ring
// (do not disturb, not registered ...).
func (s *Server) recallTargets(ctx context.Context, r callback.Request) ([]call.Target, error) {
	in := call.Incoming{Caller: call.Caller{Number: r.Caller}, Dialled: r.Callee, Request: referInvite(sipx.NewCallID(), r.Caller, r.Callee)}
	d, err := s.route(ctx, in)
	if err != nil {
		return nil, err
	}
	d = s.withTimers(s.withCallerID(in, d))
	if d.Kind == call.Reject {
		return nil, d.Err
	}
	if d.Kind != call.ToSubscriber || len(d.Targets) == 0 {
		return nil, fmt.Errorf("callback to %s: %w", r.Callee, sipx.ErrUnavailable)
	}
	targets := make([]call.Target, len(d.Targets))
	for i, t := range d.Targets {
		t.Identity = &call.Identity{User: r.Caller, Name: r.Caller}
		targets[i] = t
	}
	return targets, nil
}

// agentDial places the PBX's own call from `from` to `to` and waits for
// its final response: the Call-ID and the status (a 2xx is ACKed).
func (s *Server) agentDial(ctx context.Context, from, to string) (string, int, error) {
	self, ok := s.Addr(config.TransportUDP)
	if !ok {
		return "", 0, fmt.Errorf("callback: %w: no UDP listener", sipx.ErrUnavailable)
	}
	if self.Addr().IsUnspecified() {
		lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if self.Addr().Is6() {
			lo = netip.IPv6Loopback()
		}
		self = netip.AddrPortFrom(lo, self.Port())
	}
	inv := agentInvite(self, from, to)
	tx := &agentTx{final: make(chan *sip.Response, 1), done: make(chan struct{})}
	hctx := context.WithValue(ctx, agentKey{}, from)
	go func() {
		if err := s.calls.HandleInvite(hctx, inv, sipx.NewTx(tx)); err != nil {
			_ = tx.Respond(sipx.ErrorResponse(inv, err))
		}
	}()
	var res *sip.Response
	select {
	case res = <-tx.final:
	case <-ctx.Done():
		return "", 0, fmt.Errorf("callback to %s: %w", to, ctx.Err())
	}
	if !res.IsSuccess() {
		return inv.CallID().Value(), res.StatusCode, nil
	}
	ack := sip.NewRequest(sip.ACK, inv.Recipient)
	if u, ok := contactURI(res); ok {
		ack.Recipient = u
	}
	via := inv.Via().Clone()
	via.Params.Add("branch", sip.GenerateBranch())
	ack.AppendHeader(via)
	ack.AppendHeader(sip.HeaderClone(inv.From()))
	ack.AppendHeader(sip.HeaderClone(res.To()))
	ack.AppendHeader(sip.HeaderClone(inv.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	ack.SetSource(inv.Source())
	ack.SetTransport(inv.Transport())
	if err := s.calls.HandleAck(ctx, ack, sipx.NewTx(&agentTx{done: make(chan struct{})})); err != nil {
		return "", 0, fmt.Errorf("callback: ACK: %w", err)
	}
	return inv.CallID().Value(), res.StatusCode, nil
}

// contactURI is the Contact of a response.
func contactURI(res *sip.Response) (sip.Uri, bool) {
	if h := res.Contact(); h != nil {
		return *h.Address.Clone(), true
	}
	return sip.Uri{}, false
}

// agentInvite is the PBX's own INVITE from `from` to `to`: its source the
// PBX's own address, its offer audio to the discard port until the
// transfer gives A the callee's.
func agentInvite(self netip.AddrPort, from, to string) *sip.Request {
	host := self.Addr().String()
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: to, Host: host, Port: int(self.Port())})
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: host, Port: int(self.Port()), Params: sip.NewParams()}
	via.Params.Add("branch", sip.GenerateBranch())
	req.AppendHeader(via)
	fh := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: host}, Params: sip.NewParams()}
	fh.Params.Add("tag", sipx.NewTag())
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to, Host: host}, Params: sip.NewParams()})
	cid := sip.CallIDHeader(sipx.NewCallID())
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "callback", Host: host, Port: int(self.Port())}})
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	ip := "IP4"
	if self.Addr().Is6() {
		ip = "IP6"
	}
	req.SetBody([]byte("v=0\r\no=pbxlab 1 1 IN " + ip + " " + host + "\r\ns=callback\r\nc=IN " + ip + " " + host +
		"\r\nt=0 0\r\nm=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"))
	req.SetSource(self.String())
	req.SetTransport("UDP")
	return req
}

// agentTx is the server transaction of the PBX's own INVITE: it hands the
// first final response over and ignores the rest (2xx retransmissions).
type agentTx struct {
	mu    sync.Mutex
	final chan *sip.Response
	got   bool
	done  chan struct{}
}

func (t *agentTx) Respond(res *sip.Response) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if res.StatusCode < 200 || t.got || t.final == nil {
		return nil
	}
	t.got = true
	t.final <- res
	return nil
}
func (t *agentTx) Acks() <-chan *sip.Request          { return nil }
func (t *agentTx) OnCancel(sip.FnTxCancel) bool       { return true }
func (t *agentTx) Terminate()                         {}
func (t *agentTx) OnTerminate(sip.FnTxTerminate) bool { return true }
func (t *agentTx) Done() <-chan struct{}              { return t.done }
func (t *agentTx) Err() error                         { return nil }

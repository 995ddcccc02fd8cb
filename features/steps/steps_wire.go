package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

// registerWireSteps: requests the way other stacks write them — carriers'
// multipart bodies, SIPp's digest uri, a UDP request without the empty
// line — sent from fixtures byte for byte.
func registerWireSteps(sc *godog.ScenarioContext) {
	sc.Given(`^the digest uri of (\d+) may name only the PBX's host$`, step1(func(_ context.Context, w *world, name string) error {
		return w.configure(func(c *config.Config) error {
			return editSubscriber(c, name, func(s *config.Subscriber) { s.DigestURI = config.DigestURIHost })
		})
	}))
	sc.When(`^an INVITE from (\d+) to (\d+) arrives with credentials whose uri leaves out the user$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return sendAuthInvite(ctx, w, a, b, authInvite{hostURI: true})
	}))
	sc.When(`^an INVITE from (\d+) to (\d+) arrives with an SDP and ISUP multipart body$`, step2(func(ctx context.Context, w *world, a, b string) error {
		return sendAuthInvite(ctx, w, a, b, authInvite{multipart: true})
	}))
	sc.When(`^an INVITE from (\d+) to (\d+) arrives without the empty line after its headers$`, step2(sendInviteNoEmptyLine))
	sc.Then(`^the INVITE reaching (\d+) carries the SDP alone$`, step1(sdpAlone))
	sc.Then(`^the PBX answers it rather than dropping it$`, step0(func(_ context.Context, w *world) error {
		rec, err := w.currentCall()
		if err != nil {
			return err
		}
		rec.checked = true
		if rec.raw == nil || rec.raw.Final == nil {
			return fmt.Errorf("%w: %s got no final response", ErrExpectation, rec)
		}
		// the request as a request without a body (an INVITE without
		// credentials: 407), or refused as malformed: both are answers
		if c := rec.raw.Final.StatusCode; c != 407 && c != 400 {
			return fmt.Errorf("%w: %s: got %d %s, want 407 (read without a body) or 400", ErrExpectation, rec, c, rec.raw.Final.Reason)
		}
		return nil
	}))
	sc.Given(`^the PBX keeps registered phones' NAT bindings open every (\d+) seconds$`, step1(keepaliveEvery))
	sc.Then(`^the PBX sends (\d+) an OPTIONS keepalive at the address its REGISTER came from$`, step1(keepaliveReaches))
}

// authInvite says how sendAuthInvite writes its INVITE.
type authInvite struct {
	hostURI   bool // digest uri without the user (sip:host:port), as SIPp writes it
	multipart bool // body: SDP beside an ISUP IAM (RFC 3204), as carriers send
}

// isupBoundary separates the parts of the multipart body.
const isupBoundary = "unique-boundary-1"

// multipartBody is an SDP offer for addr beside an ISUP IAM.
func multipartBody(addr string) string {
	sdp := "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
	return "--" + isupBoundary + "\r\n" +
		"Content-Type: application/sdp\r\n\r\n" + sdp +
		"--" + isupBoundary + "\r\n" +
		"Content-Type: application/ISUP; version=nxv3; base=etsi121\r\n" +
		"Content-Disposition: signal; handling=optional\r\n\r\n" +
		"\x01\x00\x49\x00\x00\x03\x02\x00\x07\x04\x10\x00\x33\x63\x21\x43\x00\x00\x03\r\n" +
		"--" + isupBoundary + "--\r\n"
}

// sendAuthInvite sends invite.sip from a's raw endpoint to b, answers the
// PBX's 407 once with a's credentials (RFC 3261 §22.3) and waits for the
// final response to the second INVITE, which becomes the current call's.
func sendAuthInvite(ctx context.Context, w *world, a, b string, how authInvite) error {
	rp, err := w.rawPhoneOf(ctx, a)
	if err != nil {
		return err
	}
	callee, err := w.subscriber(b)
	if err != nil {
		return err
	}
	d := w.inviteData(rp, callee.Number)
	if how.multipart {
		d.ContentType = "multipart/mixed; boundary=" + isupBoundary
		d.Body = multipartBody(rp.ua.Local().Addr().String())
	}
	rec := w.newRawCall(a, b)
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	wire, req, err := render("invite.sip", d)
	if err != nil {
		return err
	}
	res, err := rp.transact(wctx, wire)
	rec.raw = &res
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrExpectation, rec, err)
	}
	if res.Final.StatusCode != sip.StatusProxyAuthRequired {
		return fmt.Errorf("%w: %s: the INVITE without credentials got %d, want 407", ErrExpectation, rec, res.Final.StatusCode)
	}
	uri := req.Recipient.String()
	if how.hostURI {
		// the Request-URI without its user, as SIPp writes it
		// (uri=sip:[remote_ip]:[remote_port])
		host := req.Recipient.Clone()
		host.User, host.UriParams, host.Headers = "", nil, nil
		uri = host.String()
	}
	_, auth, err := testua.Credentials(res.Final, sip.INVITE, uri, rp.sub.Number, rp.sub.Password)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrExpectation, rec, err)
	}
	d.Authorization, d.CSeq, d.Branch = auth, d.CSeq+1, testua.NewBranch()
	if wire, _, err = render("invite.sip", d); err != nil {
		return err
	}
	res, err = rp.transact(wctx, wire)
	rec.raw = &res
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrExpectation, rec, err)
	}
	return nil
}

// sendInviteNoEmptyLine sends invite-no-credentials.sip with its headers
// ending in one CRLF: no empty line (RFC 3261 §7 wants one).
func sendInviteNoEmptyLine(ctx context.Context, w *world, a, b string) error {
	if w.ep.Transport != "udp" {
		return fmt.Errorf("%w: a message without the empty line has no end on a stream; tag the scenario @udp", ErrUsage)
	}
	rp, err := w.rawPhoneOf(ctx, a)
	if err != nil {
		return err
	}
	callee, err := w.subscriber(b)
	if err != nil {
		return err
	}
	d := w.inviteData(rp, callee.Number)
	wire, req, err := render("invite-no-credentials.sip", d)
	if err != nil {
		return err
	}
	rec := w.newRawCall(a, b)
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	// sent by hand: testua's transactions parse what they send, and
	// sipgo's parser wants the empty line
	if err := rp.ua.SendRaw(wire[:len(wire)-2]); err != nil {
		return fmt.Errorf("%w: %s: send: %w", ErrExpectation, rec, err)
	}
	got, err := rp.ua.Await(wctx, testua.And(testua.CallID(d.CallID), testua.Final()))
	if err != nil {
		return fmt.Errorf("%w: %s: no final response to the INVITE without the empty line: %w", ErrExpectation, rec, err)
	}
	res := got.Response()
	rec.raw = &rawResult{Final: res}
	if res.StatusCode >= 300 {
		// ACK the final answer as RFC 3261 §17.1.1.3 says, or the PBX
		// retransmits it
		if err := rp.ua.Send(testua.NonSuccessAck(req, res)); err != nil {
			return fmt.Errorf("%w: %s: ACK %d: %w", ErrExpectation, rec, res.StatusCode, err)
		}
	}
	return nil
}

// sdpAlone checks the INVITE that reached name: the SDP part of the
// caller's multipart body, as application/sdp, without the ISUP part.
func sdpAlone(ctx context.Context, w *world, name string) error {
	rec, err := w.currentCall()
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	_, leg, err := waitLeg(wctx, w, name, "")
	if err != nil {
		return err
	}
	rec.checked = true
	ct := leg.RequestHeaders("Content-Type")
	if len(ct) != 1 || !strings.HasPrefix(strings.ToLower(ct[0]), "application/sdp") {
		return fmt.Errorf("%w: the INVITE to %s has Content-Type %q, want application/sdp", ErrExpectation, name, ct)
	}
	return nil
}

// keepaliveEvery sets registrar.keepalive: an OPTIONS to every registered
// UDP contact this often (NAT bindings kept open).
func keepaliveEvery(_ context.Context, w *world, secs int) error {
	return w.configure(func(c *config.Config) error {
		c.Registrar.Keepalive = time.Duration(secs) * time.Second
		return nil
	})
}

// keepaliveReaches waits for an OPTIONS from the PBX at name's raw
// endpoint: the address its REGISTER came from, whatever its Contact says.
func keepaliveReaches(ctx context.Context, w *world, name string) error {
	w.mu.Lock()
	rp := w.raws[name]
	w.mu.Unlock()
	if rp == nil || !rp.registered {
		return fmt.Errorf("%w: %s has no fixture registration", ErrUsage, name)
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	got, err := rp.ua.Await(wctx, testua.Method(sip.OPTIONS))
	if err != nil {
		return fmt.Errorf("%w: no keepalive OPTIONS reached %s at %s: %w", ErrExpectation, name, rp.ua.Local(), err)
	}
	if got.Peer != w.ep.Addr {
		return fmt.Errorf("%w: the keepalive came from %s, not the PBX's %s", ErrExpectation, got.Peer, w.ep.Addr)
	}
	return nil
}

package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// A rawPhone (world.go) is a scenario number played by an internal/testua
// UA: it sends fixtures byte for byte and lets testua's DefaultAuto keep
// the PBX's transactions clean (100/180 to an INVITE, 200 then 487 on
// CANCEL, 200 to BYE and the rest, ACK of non-2xx).

// newRawUA opens the test UA of a raw phone: a socket on the address
// routing to the PBX (UDP, retransmitting its requests for a live PBX
// across a real network) or a TCP connection to it, tapped into the
// scenario capture.
func (w *world) newRawUA(ep Endpoint, sub Subscriber) (*testua.UA, error) {
	ua, err := testua.New(testua.Config{Transport: ep.Transport, PBX: ep.Addr, User: sub.Number, Domain: ep.Domain},
		testua.WithCapture(w.cap.w), testua.WithLogger(w.log), testua.WithRetransmit())
	if err != nil {
		return nil, fmt.Errorf("open raw endpoint: %w", err)
	}
	return ua, nil
}

// rawResult is what a request sent from a fixture got back.
type rawResult struct {
	Provisional []*sip.Response
	Final       *sip.Response
}

// transact sends a rendered fixture as a client transaction and waits for
// its final response (a non-2xx final to an INVITE is ACKed by testua).
func (rp *rawPhone) transact(ctx context.Context, wire []byte) (rawResult, error) {
	tx, err := rp.ua.StartRaw(wire)
	if err != nil {
		return rawResult{}, fmt.Errorf("%w: %w", ErrBadFixture, err)
	}
	final, err := tx.Final(ctx)
	out := rawResult{Provisional: tx.Provisional(), Final: final}
	if err != nil {
		return out, fmt.Errorf("send %s: no final response: %w", tx.Request().Method, err)
	}
	return out, nil
}

// rawRegistration describes a REGISTER sent from a fixture.
type rawRegistration struct {
	Sub     Subscriber
	Domain  string
	SentBy  string // Via sent-by; the socket's address unless behind NAT
	Contact string // Contact header value, e.g. <sip:1002@192.168.1.20:5060> or *
	Expires int
}

// register sends register.sip and answers a 401 challenge once with digest
// credentials (RFC 3261 §22.2, RFC 8760), as a phone would. It returns the
// final response to the last REGISTER.
func (rp *rawPhone) register(ctx context.Context, r rawRegistration) (*sip.Response, error) {
	d := fixtureData{
		Transport: strings.ToUpper(rp.ua.Transport()),
		SentBy:    r.SentBy,
		Branch:    testua.NewBranch(),
		Domain:    r.Domain,
		User:      r.Sub.Number,
		FromTag:   testua.NewTag(),
		CallID:    testua.NewTag() + testua.NewTag(),
		CSeq:      1,
		Contact:   r.Contact,
		Expires:   r.Expires,
	}
	if d.SentBy == "" {
		d.SentBy = rp.ua.Local().String()
	}
	wire, _, err := render("register.sip", d)
	if err != nil {
		return nil, err
	}
	res, err := rp.transact(ctx, wire)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", r.Sub.Number, err)
	}
	if res.Final.StatusCode != 401 {
		return res.Final, nil
	}
	_, auth, err := testua.Credentials(res.Final, sip.REGISTER, "sip:"+r.Domain, r.Sub.Number, r.Sub.Password)
	if err != nil {
		return nil, fmt.Errorf("register %s: %w: %w", r.Sub.Number, ErrExpectation, err)
	}
	d.Authorization, d.CSeq, d.Branch = auth, d.CSeq+1, testua.NewBranch()
	if wire, _, err = render("register.sip", d); err != nil {
		return nil, err
	}
	if res, err = rp.transact(ctx, wire); err != nil {
		return nil, fmt.Errorf("register %s: %w", r.Sub.Number, err)
	}
	return res.Final, nil
}

// invites lists the INVITEs the PBX sent to the raw phone.
func (rp *rawPhone) invites() []*testua.Incoming {
	return rp.ua.Incoming(testua.Method(sip.INVITE))
}

// decline answers the last INVITE with a final status and retransmits it
// until the PBX acknowledges it (RFC 3261 §17.2.1 timer G).
func (rp *rawPhone) decline(ctx context.Context, code int, reason string) error {
	invs := rp.invites()
	if len(invs) == 0 {
		return fmt.Errorf("decline: %w: no INVITE received", ErrUsage)
	}
	inv := invs[len(invs)-1]
	for _, r := range inv.Responses() {
		if r.StatusCode >= 200 {
			return fmt.Errorf("decline: %w: INVITE already answered %d", ErrExpectation, r.StatusCode)
		}
	}
	if _, err := inv.RespondUntilAck(ctx, inv.NewResponse(code, reason)); err != nil {
		return fmt.Errorf("decline: %w: %w", ErrExpectation, err)
	}
	return nil
}

package carrier

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/sim/phone"
)

// TestInboundToRegisteredContact: the PBX registered its trunk; the
// carrier's inbound call goes to that Contact with the DID in To, and
// both sides hear each other.
func TestInboundToRegisteredContact(t *testing.T) {
	ctx := testCtx(t, 15*time.Second)
	c := newCarrier(t, Config{})
	pbx := newPBX(t, c)
	got := make(chan *phone.Call, 1)
	trunk := newPhone(t, pbx, phone.PhoneConfig{Number: "pbxtrunk", Username: "trunk", Password: "secret",
		OnIncoming: func(call *phone.Call) { got <- call }})
	if _, err := c.Call(ctx, "4930555100", "0044207"); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Call before registration = %v, want ErrNotRegistered", err)
	}
	if _, err := trunk.Register(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := c.CallWith(ctx, Inbound{DID: "4930555100", From: "0044207",
		Headers: []sip.Header{sip.NewHeader("P-Asserted-Identity", "<sip:0044207@carrier>")}})
	if err != nil {
		t.Fatal(err)
	}
	var in *phone.Call
	select {
	case in = <-got:
	case <-ctx.Done():
		t.Fatal("no inbound call at the registered contact")
	}
	to := in.RequestHeaders("To")
	if len(to) != 1 || !strings.Contains(to[0], "sip:4930555100@"+c.Domain()) {
		t.Errorf("To %q, want the DID", to)
	}
	if in.Remote() != "0044207" {
		t.Errorf("caller %q, want 0044207", in.Remote())
	}
	if pai := in.RequestHeaders("P-Asserted-Identity"); len(pai) != 1 {
		t.Errorf("PAI %q", pai)
	}
	// The DID is not the answering phone's number: say whose tone to expect.
	answeredAndHungUp(ctx, t, "call in", out, in, trunk.Identity())
}

// TestInboundToPBXAddress: a trunk identified by source address gets
// calls at the configured PBX address with the DID as Request-URI user.
func TestInboundToPBXAddress(t *testing.T) {
	ctx := testCtx(t, 15*time.Second)
	pbx, err := phone.NewAgent(phone.Config{LocalIP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pbx.Close() })
	newPhone(t, pbx, phone.PhoneConfig{Number: "4930555200", Answer: phone.AnswerMode{Behaviour: phone.Busy}})
	c := newCarrier(t, Config{PBX: pbx.Addr().String(), Accounts: []Account{}})
	out, err := c.Call(ctx, "4930555200", "0033111")
	if err != nil {
		t.Fatal(err)
	}
	if end, _ := out.Wait(ctx); end.Code != 486 {
		t.Errorf("end %+v, want 486 from the DID's phone", end)
	}
}

// answeredAndHungUp waits for out's answer, checks two-way audio between
// out (hearing identity) and the answering leg in, hangs out up and checks
// that in got the BYE. Failures name what: a prefix such as "inbound call".
func answeredAndHungUp(ctx context.Context, t *testing.T, what string, out, in *phone.Call, identity phone.Identity) {
	t.Helper()
	if err := out.WaitAnswer(ctx); err != nil {
		t.Fatalf("%s: answer: %v", what, err)
	}
	out.ExpectIdentity(identity)
	if tw, err := phone.VerifyTwoWay(ctx, out, in); err != nil || !tw.OK() {
		t.Errorf("%s: two-way audio %+v: %v", what, tw, err)
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, _ := in.Wait(ctx); end.Reason != phone.ReasonBye {
		t.Errorf("%s: PBX leg end %+v, want BYE", what, end)
	}
}

package phone

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestRequestFilter: the filter sees REGISTER (else 405) and may take an
// INVITE (answered by it) or leave it to the phones.
func TestRequestFilter(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	var seen atomic.Int32
	server := newTestAgent(t, Config{}, WithRequestFilter(func(req *sip.Request, tx sip.ServerTransaction) bool {
		switch {
		case req.Method == sip.REGISTER:
			seen.Add(1)
			_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
			return true
		case req.Method == sip.INVITE && req.Recipient.User == "taken":
			_ = tx.Respond(sip.NewResponseFromRequest(req, 480, "Temporarily Unavailable", nil))
			return true
		}
		return false
	}))
	_, inc := callee(t, server, "2000", AnswerMode{})
	client := newTestAgent(t, Config{Target: server.Addr().String()})
	p := newTestPhone(t, client, PhoneConfig{Number: "1000"})
	if reg, err := p.Register(ctx); err != nil || reg.Code != 200 || seen.Load() != 1 {
		t.Fatalf("REGISTER through the filter: %+v %v (seen %d)", reg, err, seen.Load())
	}
	taken, err := p.Dial(ctx, "taken")
	if err != nil {
		t.Fatal(err)
	}
	if end, _ := taken.Wait(ctx); end.Code != 480 {
		t.Errorf("filtered INVITE ended %+v, want 480", end)
	}
	out, err := p.Dial(ctx, "2000")
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctx); err != nil {
		t.Fatalf("INVITE left to the phone: %v", err)
	}
	in := incoming(t, ctx, inc)
	_ = out.Hangup(ctx)
	_, _ = in.Wait(ctx)
}

// TestNoFilterRegister405: without a filter an Agent refuses REGISTER.
func TestNoFilterRegister405(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	server := newTestAgent(t, Config{})
	client := newTestAgent(t, Config{Target: server.Addr().String()})
	p := newTestPhone(t, client, PhoneConfig{Number: "1000"})
	if reg, _ := p.Register(ctx); reg.Code != 405 {
		t.Fatalf("REGISTER to a plain Agent: %+v, want 405", reg)
	}
}

// TestDefaultPhoneAndDialWith: a call to a number no phone has reaches
// the default phone; DialWith sets Request-URI, To and extra headers
// independently.
func TestDefaultPhoneAndDialWith(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	server := newTestAgent(t, Config{}, WithDefaultPhone("any"))
	_, inc := callee(t, server, "any", AnswerMode{Behaviour: Busy})
	client := newTestAgent(t, Config{})
	p := newTestPhone(t, client, PhoneConfig{Number: "1000"})
	out, err := p.DialWith(ctx, DialSpec{
		URI:     "sip:trunk@" + server.Addr().String(),
		To:      "sip:4930555@carrier.example",
		Headers: []sip.Header{sip.NewHeader("P-Asserted-Identity", "<sip:1000@carrier.example>")},
	})
	if err != nil {
		t.Fatal(err)
	}
	in := incoming(t, ctx, inc)
	if end, _ := out.Wait(ctx); end.Code != 486 {
		t.Errorf("end %+v, want 486 from the default phone", end)
	}
	to := in.RequestHeaders("To")
	if len(to) != 1 || !strings.HasPrefix(to[0], "<sip:4930555@carrier.example>") {
		t.Errorf("To %q", to)
	}
	if pai := in.RequestHeaders("P-Asserted-Identity"); len(pai) != 1 || pai[0] != "<sip:1000@carrier.example>" {
		t.Errorf("PAI %q", pai)
	}
	if out.Remote() != "4930555" {
		t.Errorf("remote %q, want the To user", out.Remote())
	}
	if _, err := p.DialWith(ctx, DialSpec{URI: "tel:123"}); err == nil {
		t.Error("DialWith accepted a tel URI")
	}
}

package carrier

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/sim/phone"
)

// newUA is a raw SIP client aimed at the carrier, for what the phone
// API does not show (response headers, bytes that are not SIP).
func newUA(t *testing.T, c *Carrier) *testua.UA {
	t.Helper()
	u, err := testua.New(testua.Config{PBX: c.Addr(), LocalIP: loopback, User: "pbx"})
	if err != nil {
		t.Fatalf("testua.New: %v", err)
	}
	t.Cleanup(func() { _ = u.Close() })
	return u
}

func TestTerminateBehaviours(t *testing.T) {
	tests := []struct {
		name      string
		b         Behaviour
		wantCode  int
		wantRing  bool
		hangupRng bool // cancel while ringing
	}{
		{name: "answer", b: Behaviour{Action: Answer}, wantCode: 200, wantRing: true},
		{name: "answer after delay", b: Behaviour{Action: Answer, Delay: 20 * time.Millisecond}, wantCode: 200, wantRing: true},
		{name: "busy", b: Behaviour{Action: Busy}, wantCode: 486},
		{name: "reject default", b: Behaviour{Action: Reject}, wantCode: 503},
		{name: "reject 404", b: Behaviour{Action: Reject, Code: 404}, wantCode: 404},
		{name: "no answer", b: Behaviour{Action: NoAnswer}, wantCode: 487, wantRing: true, hangupRng: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			c := newCarrier(t, Config{Numbers: map[string]Behaviour{"0049": tt.b}})
			pbx := newPBX(t, c)
			p := newPhone(t, pbx, phone.PhoneConfig{Number: "1000"})
			call, err := p.DialURI(ctx, "sip:00491234@"+c.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantRing {
				if err := call.WaitRinging(ctx); err != nil {
					t.Fatalf("ringing: %v", err)
				}
			}
			if tt.hangupRng {
				if err := call.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if tt.wantCode == 200 {
				if err := call.WaitAnswer(ctx); err != nil {
					t.Fatalf("answer: %v", err)
				}
				if err := call.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
			}
			end, _ := call.Wait(ctx)
			if end.Code != tt.wantCode {
				t.Errorf("end %+v, want code %d", end, tt.wantCode)
			}
			invs := c.Invites()
			if len(invs) != 1 || invs[0].User != "00491234" || invs[0].FromUser != "1000" || invs[0].Action != tt.b.Action {
				t.Fatalf("invites %+v", invs)
			}
			if tt.wantRing {
				leg := invs[0].Call
				if leg == nil {
					t.Fatal("no carrier leg recorded")
				}
				if e, err := leg.Wait(ctx); err != nil || e.Code != tt.wantCode {
					t.Errorf("carrier leg end %+v (%v), want %d", e, err, tt.wantCode)
				}
			}
		})
	}
}

func TestDefaultAndLongestPrefix(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{
		Default: Behaviour{Action: Busy},
		Numbers: map[string]Behaviour{"00": {Action: Reject, Code: 404}, "0033": {Action: Reject, Code: 480}},
	})
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "1000"})
	for _, tc := range []struct {
		number string
		want   int
	}{{"5551234", 486}, {"0049123", 404}, {"0033123", 480}} {
		call, err := p.DialURI(ctx, "sip:"+tc.number+"@"+c.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if end, _ := call.Wait(ctx); end.Code != tc.want {
			t.Errorf("%s: end %+v, want %d", tc.number, end, tc.want)
		}
	}
	if err := c.SetBehaviour("0033", Behaviour{Action: Busy}); err != nil {
		t.Fatal(err)
	}
	call, err := p.DialURI(ctx, "sip:0033999@"+c.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if end, _ := call.Wait(ctx); end.Code != 486 {
		t.Errorf("after SetBehaviour: end %+v, want 486", end)
	}
}

func TestRejectRetryAfter(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{Default: Behaviour{Action: Reject, Code: 503, RetryAfter: 30 * time.Second}})
	u := newUA(t, c)
	res, err := u.Do(ctx, u.NewInvite("sip:0049@"+c.Addr().String(), u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 503 {
		t.Fatalf("status %d, want 503", res.StatusCode)
	}
	if h := res.GetHeader("Retry-After"); h == nil || h.Value() != "30" {
		t.Errorf("Retry-After %v, want 30", h)
	}
}

func TestGarbage(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{Default: Behaviour{Action: Garbage}})
	u := newUA(t, c)
	if _, err := u.Start(u.NewInvite("sip:0049@"+c.Addr().String(), u.Offer())); err != nil {
		t.Fatal(err)
	}
	rec, err := u.Await(ctx, testua.Unparsable())
	if err != nil {
		t.Fatalf("no garbage: %v", err)
	}
	if string(rec.Raw) != garbageBytes {
		t.Errorf("got %q, want the garbage bytes", rec.Raw)
	}
}

func TestSilentNumber(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{Numbers: map[string]Behaviour{"0049": {Action: Silent}}})
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "1000"})
	call, err := p.DialURI(ctx, "sip:0049123@"+c.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// The phone retransmits the INVITE (T1) only while no response, not
	// even 100 Trying, has arrived: a second attempt proves the silence.
	inv, err := c.WaitInvite(ctx, func(i Invite) bool { return i.Attempts >= 2 })
	if err != nil {
		t.Fatal(err)
	}
	if inv.Action != Silent || inv.Call != nil {
		t.Errorf("invite %+v, want silent without a leg", inv)
	}
	if got := call.Provisional(); len(got) != 0 || call.State() != phone.Calling {
		t.Errorf("silent carrier sent %v, state %s", got, call.State())
	}
	// Other numbers are still served.
	other, err := p.DialURI(ctx, "sip:5550000@"+c.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := other.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer beside a silent number: %v", err)
	}
	_ = other.Hangup(ctx)
}

func TestGoSilentAndRecover(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	c := newCarrier(t, Config{})
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "pbx", Username: "trunk", Password: "secret"})
	c.GoSilent()
	short, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	_, err := p.Register(short)
	cancel()
	if err == nil {
		t.Fatal("REGISTER succeeded against a silent carrier")
	}
	if c.Dropped() == 0 {
		t.Error("nothing dropped while silent")
	}
	if _, _, ok := c.Registered("trunk"); ok {
		t.Error("bound while silent")
	}
	c.Recover()
	if _, err := p.Register(ctx); err != nil {
		t.Fatalf("REGISTER after Recover: %v", err)
	}
}

func TestFailAndRecover(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{})
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "1000"})
	if err := c.Fail(500); err != nil {
		t.Fatal(err)
	}
	if err := c.Fail(200); !errors.Is(err, ErrConfig) {
		t.Errorf("Fail(200) = %v, want ErrConfig", err)
	}
	call, err := p.DialURI(ctx, "sip:0049@"+c.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if end, _ := call.Wait(ctx); end.Code != 500 {
		t.Errorf("failing carrier: end %+v, want 500", end)
	}
	c.Recover()
	call, err = p.DialURI(ctx, "sip:0049@"+c.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswer(ctx); err != nil {
		t.Fatalf("after Recover: %v", err)
	}
	_ = call.Hangup(ctx)
}

func TestInviteChallenge(t *testing.T) {
	tests := []struct {
		name     string
		password string
		wantCode int
	}{
		{"trunk credentials", "secret", 200},
		{"wrong password", "wrong", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			c := newCarrier(t, Config{ChallengeInvites: true})
			pbx := newPBX(t, c)
			p := newPhone(t, pbx, phone.PhoneConfig{Number: "1000", Username: "trunk", Password: tt.password})
			call, err := p.DialURI(ctx, "sip:0049@"+c.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantCode == 200 {
				if err := call.WaitAnswer(ctx); err != nil {
					t.Fatalf("answer: %v", err)
				}
				_ = call.Hangup(ctx)
			}
			end, _ := call.Wait(ctx)
			if end.Code != tt.wantCode {
				t.Errorf("end %+v, want %d", end, tt.wantCode)
			}
			inv := c.Invites()[0]
			if inv.Attempts != 2 || c.RegisterStats().Challenges != 1 {
				t.Errorf("invite %+v, %d challenges: want one 407 then one authenticated attempt", inv, c.RegisterStats().Challenges)
			}
			if tt.wantCode == 200 && inv.Account != "trunk" {
				t.Errorf("account %q, want trunk", inv.Account)
			}
		})
	}
}

func TestInviteRecordsCallerID(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{Default: Behaviour{Action: Busy}})
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "anonymous"})
	call, err := p.DialWith(ctx, phone.DialSpec{
		URI: "sip:0049301234@" + c.Addr().String(),
		Headers: []sip.Header{
			sip.NewHeader("P-Asserted-Identity", "<sip:+4930555@pbx.example>"),
			sip.NewHeader("Privacy", "id"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = call.Wait(ctx)
	inv, err := c.WaitInvite(ctx, func(Invite) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if inv.FromUser != "anonymous" || inv.ToUser != "0049301234" || inv.User != "0049301234" {
		t.Errorf("record %+v", inv)
	}
	if !slices.Equal(inv.PAssertedIdentity, []string{"<sip:+4930555@pbx.example>"}) || !slices.Equal(inv.Privacy, []string{"id"}) {
		t.Errorf("PAI %q Privacy %q", inv.PAssertedIdentity, inv.Privacy)
	}
}

// TestAnswerAudio: the carrier answers with the called number's audio
// identity, so the caller's audio check proves it reached that number.
func TestAnswerAudio(t *testing.T) {
	ctx := testCtx(t, 15*time.Second)
	c := newCarrier(t, Config{})
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "1000"})
	call, err := p.DialURI(ctx, "sip:0201001@"+c.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	inv, err := c.WaitInvite(ctx, func(i Invite) bool { return i.Call != nil })
	if err != nil {
		t.Fatal(err)
	}
	if tw, err := phone.VerifyTwoWay(ctx, call, inv.Call); err != nil || !tw.OK() {
		t.Fatalf("two-way audio %+v: %v", tw, err)
	}
	if got := inv.Call.Phone().Identity(); got != phone.IdentityFor("0201001") {
		t.Errorf("carrier leg sends %s, want the called number's identity", got)
	}
	_ = call.Hangup(ctx)
}

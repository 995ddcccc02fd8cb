package pbx_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/hunt"
	"pbxlab/pbx/internal/services/pickup"
	"pbxlab/pbx/internal/services/restriction"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// pickupConfig: 1001 and 1002 form a pickup group, 1003 has the right
// alone, 1004 has none; 1005 may not be called by 1006 (inter-group
// restriction); 2003 is a ring-all hunt group, 2001 a sequential one.
func pickupConfig(c *config.Config) {
	c.Services.Pickup = pickup.Config{
		Groups: []pickup.GroupConfig{{Name: "office", Members: []string{"1001", "1002"}}},
		Right:  []string{"1003", "1005"},
	}
	c.Services.GroupRestriction = restriction.Config{
		Groups:       []restriction.Group{{Name: "guests", Numbers: []string{"1006"}}, {Name: "board", Numbers: []string{"1005"}}},
		Restrictions: []restriction.Restriction{{From: "guests", To: "board"}},
	}
	c.Services.Hunt = hunt.Config{Groups: []hunt.Group{
		{Name: "all", Number: "2003", Strategy: hunt.Simultaneous, Members: []string{"1001", "1002"}},
		{Name: "seq", Number: "2001", Strategy: hunt.Sequential, Members: []string{"1001", "1002"}}}}
}

// ringing dials from caller to callee and returns both ends once the
// callee rings (it never answers by itself).
func ringing(ctx context.Context, t *testing.T, from *testPhone, to string, callee *testPhone) (*phone.Call, *phone.Call) {
	t.Helper()
	a, err := from.Dial(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WaitRinging(ctx); err != nil {
		t.Fatalf("%s never rang: %v", to, err)
	}
	return a, callee.nextIncoming(ctx, t)
}

func manualPhones(ctx context.Context, t *testing.T, in *pbxtest.Instance, numbers ...string) map[string]*testPhone {
	t.Helper()
	ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ag.Close() })
	out := map[string]*testPhone{}
	for _, n := range numbers {
		p := newTestPhone(t, ag, phone.PhoneConfig{Number: n, Password: "demo" + n, Answer: phone.AnswerMode{Behaviour: phone.Manual}})
		if _, err := p.Register(ctx); err != nil {
			t.Fatalf("register %s: %v", n, err)
		}
		out[n] = p
	}
	return out
}

// TestPickupConnects: A (1000) calls B, B rings, C picks up with the
// directed or the group code; B's INVITE is CANCELled with
// Reason: SIP ;cause=200 (RFC 3326), A and C hear each other, and C's
// hang-up ends A's call.
func TestPickupConnects(t *testing.T) {
	for _, tc := range []struct{ name, dial, b, c, code string }{
		{"directed", "1001", "1001", "1003", "*8*1001#"},
		{"directed-escaped", "1001", "1001", "1003", "*8*1001%23"},
		{"group", "1002", "1002", "1001", "*8#"},
		// the manual: pickup works when callees ring in sequence
		{"sequential-hunt-group", "2001", "1001", "1003", "*8*2001#"},
		// the manual's unilateral variant: the member the group rings now,
		// by its own number (pickup_unilateral.go)
		{"sequential-hunt-member", "2001", "1001", "1003", "*8*1001#"},
		{"sequential-hunt-member-group-code", "2001", "1001", "1002", "*8#"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			capPath := filepath.Join(t.TempDir(), "pickup.pcapng")
			w, err := pcapio.Create(capPath)
			if err != nil {
				t.Fatal(err)
			}
			in := startPBX(t, pickupConfig, pbxtest.Options{PBX: []pbx.Option{pbx.WithCapture(w)}})
			ps := manualPhones(ctx, t, in, "1000", tc.b, tc.c)
			a, b := ringing(ctx, t, ps["1000"], tc.dial, ps[tc.b])
			c, err := ps[tc.c].Dial(ctx, tc.code)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("pickup: %v (code %d)", err, c.Code())
			}
			if err := a.WaitAnswer(ctx); err != nil {
				t.Fatalf("A not answered: %v (code %d)", err, a.Code())
			}
			if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonCancel {
				t.Errorf("B ended %+v, %v; want CANCEL", end, err)
			}
			a.ExpectIdentity(phone.IdentityFor(tc.c))
			c.ExpectIdentity(phone.IdentityFor("1000"))
			actx, acancel := context.WithTimeout(ctx, 5*time.Second)
			defer acancel()
			if _, err := a.TwoWayAudio(actx); err != nil {
				t.Errorf("A does not hear C: %v", err)
			}
			if _, err := c.TwoWayAudio(actx); err != nil {
				t.Errorf("C does not hear A: %v", err)
			}
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if end, err := a.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
				t.Errorf("A ended %+v, %v; want BYE", end, err)
			}
			recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 2 })
			var picked bool
			for _, r := range recs {
				if r.Caller == "1000" && r.Callee == tc.c && r.Disposition == pbx.Answered {
					picked = true
				}
			}
			if !picked {
				t.Errorf("records %+v: want 1000 → %s answered", recs, tc.c)
			}
			if err := in.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			pkts, err := pcapio.ReadFile(capPath)
			if err != nil {
				t.Fatal(err)
			}
			var reasons []string
			for _, p := range pcapio.SIPMessages(pkts) {
				if m, err := sip.ParseMessage(p.Payload); err == nil {
					if r, ok := m.(*sip.Request); ok && r.Method == sip.CANCEL {
						for _, h := range r.GetHeaders("Reason") {
							reasons = append(reasons, h.Value())
						}
					}
				}
			}
			if len(reasons) != 1 || !strings.Contains(reasons[0], "cause=200") || !strings.Contains(reasons[0], "Call completed elsewhere") {
				t.Errorf("CANCEL Reason headers %q, want one cause=200 Call completed elsewhere", reasons)
			}
		})
	}
}

// TestPickupRefused: who may not pick up what; B rings on after a refusal.
func TestPickupRefused(t *testing.T) {
	for _, tc := range []struct {
		name         string
		media        bool
		caller, b, c string
		dial, code   string
		want         int
		ringing      bool // B rings while C tries
	}{
		{"no right", true, "1000", "1001", "1004", "1001", "*8*1001#", 403, true},
		{"group code outside any group", true, "1000", "1001", "1003", "1001", "*8#", 403, true},
		{"caller may not call the picker", true, "1006", "1001", "1005", "1001", "*8*1001#", 403, true},
		{"nothing ringing", true, "", "", "1003", "", "*8*1001#", 480, false},
		{"group: nothing ringing", true, "", "", "1001", "", "*8#", 480, false},
		{"no such number", true, "", "", "1003", "", "*8*1999#", 404, false},
		{"malformed", true, "", "", "1003", "", "*8*1a#", 484, false},
		{"ringing simultaneously", true, "1000", "1001", "1003", "2003", "*8*2003#", 480, true},
		{"ringing simultaneously, by the member", true, "1000", "1001", "1003", "2003", "*8*1001#", 480, true},
		{"media server off", false, "", "", "1003", "", "*8*1001#", 486, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			in := startPBX(t, func(c *config.Config) { pickupConfig(c); c.Media.Enabled = tc.media }, pbxtest.Options{})
			nums := []string{tc.c}
			if tc.ringing {
				nums = append(nums, tc.caller, tc.b)
			}
			ps := manualPhones(ctx, t, in, nums...)
			var a, b *phone.Call
			if tc.ringing {
				a, b = ringing(ctx, t, ps[tc.caller], tc.dial, ps[tc.b])
			}
			c, err := ps[tc.c].Dial(ctx, tc.code)
			if err != nil {
				t.Fatal(err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Code != tc.want {
				t.Errorf("pickup ended %+v, %v; want %d", end, err, tc.want)
			}
			if !tc.ringing {
				return
			}
			if st := b.State(); st != phone.Early {
				t.Errorf("B is %v after the refusal, want still ringing", st)
			}
			if err := b.Answer(ctx); err != nil {
				t.Fatal(err)
			}
			if err := a.WaitAnswer(ctx); err != nil {
				t.Errorf("A never reached B after the refused pickup: %v", err)
			}
			if err := a.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

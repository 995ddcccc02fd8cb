package pbx_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// startPBX runs the demo configuration in-process, adjusted by tweak.
func startPBX(t *testing.T, tweak func(*config.Config), o pbxtest.Options) *pbxtest.Instance {
	t.Helper()
	cfg := config.Demo()
	if tweak != nil {
		tweak(cfg)
	}
	in, err := pbxtest.Start(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := in.Close(); err != nil {
			t.Errorf("close pbx: %v", err)
		}
	})
	return in
}

// startPBXAdmin runs the demo configuration with the admin listener on a
// free loopback port and returns it with the listener's base URL.
func startPBXAdmin(t *testing.T) (*pbxtest.Instance, string) {
	t.Helper()
	in := startPBX(t, func(c *config.Config) { c.Admin.Listen = "127.0.0.1:0" }, pbxtest.Options{})
	admin, ok := in.AdminAddr()
	if !ok {
		t.Fatal("no admin listener")
	}
	return in, "http://" + admin.String()
}

// testPhone is a simulated phone that records every incoming call.
type testPhone struct {
	*phone.Phone
	in chan *phone.Call
}

// nextIncoming returns the next call that reached the phone.
func (p *testPhone) nextIncoming(ctx context.Context, t *testing.T) *phone.Call {
	t.Helper()
	select {
	case c := <-p.in:
		return c
	case <-ctx.Done():
		t.Fatalf("no call reached %s", p.Number())
		return nil
	}
}

func newTestPhone(t *testing.T, ag *phone.Agent, cfg phone.PhoneConfig) *testPhone {
	t.Helper()
	tp := &testPhone{in: make(chan *phone.Call, 16)}
	cfg.OnIncoming = func(c *phone.Call) {
		select {
		case tp.in <- c:
		default:
		}
	}
	p, err := ag.NewPhone(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tp.Phone = p
	return tp
}

// registered returns a phone for each number on one agent, all registered.
func registered(ctx context.Context, t *testing.T, target string, lc phone.Config, numbers ...string) map[string]*testPhone {
	t.Helper()
	lc.Target = target
	ag, err := phone.NewAgent(lc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ag.Close() })
	out := map[string]*testPhone{}
	for _, n := range numbers {
		p := newTestPhone(t, ag, phone.PhoneConfig{Number: n, Password: "demo" + n})
		if _, err := p.Register(ctx); err != nil {
			t.Fatalf("register %s: %v", n, err)
		}
		out[n] = p
	}
	return out
}

// waitCDRs polls until pred holds for the PBX's records or the deadline.
func waitCDRs(ctx context.Context, t *testing.T, in *pbxtest.Instance, pred func([]pbx.CDR) bool) []pbx.CDR {
	t.Helper()
	var recs []pbx.CDR
	for {
		var err error
		recs, err = in.ListCDRs(ctx, pbx.CDRFilter{})
		if err == nil && pred(recs) {
			return recs
		}
		select {
		case <-ctx.Done():
			t.Fatalf("CDRs never matched: %+v", recs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// talk dials to from `from`, waits for the answer and checks audio both ways.
func talk(ctx context.Context, t *testing.T, from, to *testPhone) (*phone.Call, *phone.Call) {
	t.Helper()
	c, err := from.Dial(ctx, to.Number())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("answer: %v (code %d)", err, c.Code())
	}
	callee := to.nextIncoming(ctx, t)
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.TwoWayAudio(actx); err != nil {
		t.Errorf("%s does not hear %s: %v", from.Number(), to.Number(), err)
	}
	if _, err := callee.TwoWayAudio(actx); err != nil {
		t.Errorf("%s does not hear %s: %v", to.Number(), from.Number(), err)
	}
	return c, callee
}

// expectJoined checks that b and c, two calls the PBX joined (a transfer,
// a park retrieved), hear each other: b the audio identity of cNumber, c
// that of bNumber.
func expectJoined(ctx context.Context, t *testing.T, b, c *phone.Call, bNumber, cNumber string) {
	t.Helper()
	b.ExpectIdentity(phone.IdentityFor(cNumber))
	c.ExpectIdentity(phone.IdentityFor(bNumber))
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := b.TwoWayAudio(actx); err != nil {
		t.Errorf("%s does not hear %s: %v", bNumber, cNumber, err)
	}
	if _, err := c.TwoWayAudio(actx); err != nil {
		t.Errorf("%s does not hear %s: %v", cNumber, bNumber, err)
	}
}

var loopback6 = netip.IPv6Loopback()

// newUA opens a wire-level test UA (From/Contact user) talking UDP to
// target, closed when the test ends.
func newUA(t *testing.T, target netip.AddrPort, user string, opts ...testua.Option) *testua.UA {
	t.Helper()
	u, err := testua.New(testua.Config{PBX: target, User: user}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := u.Close(); err != nil {
			t.Errorf("close test ua: %v", err)
		}
	})
	return u
}

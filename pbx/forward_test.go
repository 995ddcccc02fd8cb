package pbx_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/dnd"
	"pbxlab/pbx/internal/services/forward"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// forwardConfig: 1001 forwards on busy to 1003, 1002 on no reply (after
// 300ms) to 1003, 1006 (never registered) on unreachable to 1003, 1004
// unconditionally to 1005; 1007 and 1008 forward to each other (a loop);
// 1009 has call forwarding and DND switched off; 1010 has DND on by
// configuration and forwards on busy to 1003.
func forwardConfig(path string) func(*config.Config) {
	return func(c *config.Config) {
		plainErrors(c)
		c.Store.Path = path
		c.Media.TonePlan = "us"
		c.Services.Forward = forward.Config{Subscribers: map[string]forward.Forwards{
			"1001": {Busy: "1003"},
			"1002": {NoReply: "1003", NoReplyAfter: 300 * time.Millisecond},
			"1006": {Unreachable: "1003"},
			"1004": {Unconditional: "1005"},
			"1007": {Unconditional: "1008"},
			"1008": {Unconditional: "1007"},
			"1010": {Busy: "1003"},
		}}
		c.Services.DND = dnd.Config{Subscribers: []string{"1010"}}
		c.Services.Switches.Subscribers = map[string]map[string]config.Switch{
			"1009": {"forward": config.SwitchOff, "dnd": config.SwitchOff}}
	}
}

// TestForward: each kind of forwarding reaches its target with a
// Diversion entry of its reason, chains carry every hop, a loop ends with
// 482, codes set and clear a forward that survives a restart, and a
// switched-off service refuses its codes with 403.
func TestForward(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	tweak := forwardConfig(path)
	numbers := []string{"1000", "1001", "1002", "1003", "1004", "1005", "1007", "1008", "1009", "1010"}

	first := startPBX(t, tweak, pbxtest.Options{})
	ps := registered(ctx, t, first.Target(), phone.Config{}, numbers...)
	ps["1001"].SetAnswer(phone.AnswerMode{Behaviour: phone.Busy})
	ps["1002"].SetAnswer(phone.AnswerMode{Behaviour: phone.NoAnswer})

	for _, tc := range []struct {
		name, dialled, reaches string
		diversions             []string // "from;reason", newest first
	}{
		{"unconditional", "1004", "1005", []string{"1004;unconditional"}},
		{"on busy", "1001", "1003", []string{"1001;user-busy"}},
		{"on no reply", "1002", "1003", []string{"1002;no-answer"}},
		{"on unreachable", "1006", "1003", []string{"1006;unavailable"}},
		{"DND counts as busy", "1010", "1003", []string{"1010;user-busy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reachesDiverted(ctx, t, ps, "1000", tc.dialled, tc.reaches, tc.diversions...)
		})
	}
	t.Run("a loop ends", func(t *testing.T) { dialFails(ctx, t, ps["1000"], "1007", 482) })
	t.Run("a switched-off service refuses its codes", func(t *testing.T) {
		dialFails(ctx, t, ps["1009"], "*57*1003#", 403)
		dialFails(ctx, t, ps["1009"], "*56#", 403)
	})
	t.Run("a malformed code", func(t *testing.T) { dialFails(ctx, t, ps["1000"], "*57*12a#", 484) })
	t.Run("set by code, chained", func(t *testing.T) {
		confirmCode(ctx, t, ps["1005"], "*57*1003%23")
		// 1004 → 1005 (configured) → 1003 (set from the phone)
		reachesDiverted(ctx, t, ps, "1000", "1004", "1003", "1005;unconditional", "1004;unconditional")
	})
	recs := waitCDRs(ctx, t, first, func(rs []pbx.CDR) bool { return len(rs) >= 7 })
	found := false
	for _, r := range recs {
		if strings.Contains(r.Reason, "diverted:") && strings.Contains(r.Reason, "sip:1005@") && strings.Contains(r.Reason, "sip:1004@") {
			found = true
		}
	}
	if !found {
		t.Errorf("no CDR shows the path 1004 → 1005 → 1003: %+v", recs)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startPBX(t, tweak, pbxtest.Options{})
	ps = registered(ctx, t, second.Target(), phone.Config{}, numbers...)
	reachesDiverted(ctx, t, ps, "1000", "1005", "1003", "1005;unconditional") // the store kept it
	confirmCode(ctx, t, ps["1005"], "#57#")
	reachesDiverted(ctx, t, ps, "1000", "1005", "1005")
	confirmCode(ctx, t, ps["1004"], "#57")              // clears the configured forward too
	reachesDiverted(ctx, t, ps, "1000", "1004", "1004") // rings itself
	confirmCode(ctx, t, ps["1010"], "#56#")             // DND off beats the configuration
	reachesDiverted(ctx, t, ps, "1000", "1010", "1010") // rings itself
	confirmCode(ctx, t, ps["1003"], "*56#")             // DND on, no forward on busy
	dialFails(ctx, t, ps["1000"], "1003", 486)          // busy
	confirmCode(ctx, t, ps["1003"], "#56#")
	reachesDiverted(ctx, t, ps, "1000", "1003", "1003")
}

// TestForwardHopLimit: a chain longer than max_hops gets 483.
func TestForwardHopLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		plainErrors(c)
		c.Services.Forward = forward.Config{MaxHops: 2, Subscribers: map[string]forward.Forwards{
			"1001": {Unconditional: "1002"}, "1002": {Unconditional: "1003"}, "1003": {Unconditional: "1004"},
			"1011": {Unconditional: "1012"}, "1012": {Unconditional: "1013"},
		}}
	}, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1004", "1013")
	dialFails(ctx, t, ps["1000"], "1001", 483)
	reachesDiverted(ctx, t, ps, "1000", "1011", "1013", "1012;unconditional", "1011;unconditional")
}

// reachesDiverted: from dials dialled, callee rings with the Diversion
// entries want ("number;reason", newest first; none: not diverted), and
// answers; the call is hung up.
func reachesDiverted(ctx context.Context, t *testing.T, ps map[string]*testPhone, from, dialled, callee string, want ...string) {
	t.Helper()
	c, err := ps[from].Dial(ctx, dialled)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("%s dials %s: %v (code %d)", from, dialled, err, c.Code())
	}
	inc := ps[callee].nextIncoming(ctx, t)
	div := inc.RequestHeaders("Diversion")
	if len(div) != len(want) {
		t.Errorf("%s dials %s: %s got Diversion %q, want %q", from, dialled, callee, div, want)
	}
	for i, w := range want {
		if i >= len(div) {
			break
		}
		number, reason, _ := strings.Cut(w, ";")
		if !strings.Contains(div[i], "sip:"+number+"@") || !strings.Contains(div[i], "reason="+reason) {
			t.Errorf("%s dials %s: Diversion[%d] = %q, want from %s reason %s", from, dialled, i, div[i], number, reason)
		}
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := inc.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// dialFails: p dials dialled and the call ends with want.
func dialFails(ctx context.Context, t *testing.T, p *testPhone, dialled string, want int) {
	t.Helper()
	c, err := p.Dial(ctx, dialled)
	if err != nil {
		t.Fatal(err)
	}
	end, err := c.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if end.Code != want {
		t.Errorf("%s dials %s: %d, want %d", p.Number(), dialled, end.Code, want)
	}
}

// confirmCode: p dials a feature code, the PBX answers, plays the
// confirmation tone and hangs up.
func confirmCode(ctx context.Context, t *testing.T, p *testPhone, dialled string) {
	t.Helper()
	c, err := p.Dial(ctx, dialled)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatalf("%s dials %s: %v (code %d)", p.Number(), dialled, err, c.Code())
	}
	end, err := c.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if end.By != phone.Remote {
		t.Errorf("%s dials %s: the call was ended by %v, want the PBX", p.Number(), dialled, end.By)
	}
}

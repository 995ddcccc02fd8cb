package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseSessionTimers(t *testing.T) {
	c, err := Parse("pbx.yaml", []byte(`
sip:
  session_timers: {expires: 1800, min_se: 120, refresher: pbx}
subscribers:
  - {number: "1", password: x, session_timers: {expires: 300, refresher: peer}}
  - {number: "2", password: y}
peers:
  - {name: carrier, host: 192.0.2.1, session_timers: {min_se: 600, expires: 900}}
`))
	if err != nil {
		t.Fatal(err)
	}
	g := c.SIP.SessionTimers
	if want := (SessionTimers{Expires: 30 * time.Minute, MinSE: 2 * time.Minute, Refresher: RefresherPBX}); g != want {
		t.Errorf("global = %+v, want %+v", g, want)
	}
	subs := c.Subscribers()
	if got, want := g.Over(subs[0].SessionTimers), (SessionTimers{Expires: 5 * time.Minute, MinSE: 2 * time.Minute, Refresher: RefresherPeer}); got != want {
		t.Errorf("subscriber 1 = %+v, want %+v", got, want)
	}
	if got := g.Over(subs[1].SessionTimers); got != g {
		t.Errorf("subscriber 2 = %+v, want the global %+v", got, g)
	}
	if got, want := g.Over(c.Peers[0].SessionTimers), (SessionTimers{Expires: 15 * time.Minute, MinSE: 10 * time.Minute, Refresher: RefresherPBX}); got != want {
		t.Errorf("peer = %+v, want %+v", got, want)
	}
	if d := Defaults().SIP.SessionTimers; d != (SessionTimers{MinSE: 90 * time.Second, Refresher: RefresherAuto}) {
		t.Errorf("defaults %+v", d)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("printed.yaml", out)
	if err != nil {
		t.Fatalf("parse printed config: %v\n%s", err, out)
	}
	if again.SIP.SessionTimers != g || again.ExplicitSubscribers[0].SessionTimers != c.ExplicitSubscribers[0].SessionTimers ||
		again.Peers[0].SessionTimers != c.Peers[0].SessionTimers {
		t.Errorf("printed config does not round-trip: %+v", again.SIP.SessionTimers)
	}
}

func TestValidateSessionTimers(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"sip:\n  session_timers: {min_se: 60}\n", `pbx.yaml:2: sip.session_timers.min_se: must be at least 90 (RFC 4028 §4), got 60`},
		{"sip:\n  session_timers:\n    expires: 30\n", `pbx.yaml:3: sip.session_timers.expires: must be 0 (off) or at least 90 (RFC 4028 §4), got 30`},
		{"sip:\n  session_timers:\n    expires: 100\n    min_se: 120\n", `pbx.yaml:3: sip.session_timers.expires: expires (100) must not be below min_se (120)`},
		{"sip:\n  session_timers:\n    refresher: uac\n", `pbx.yaml:3: sip.session_timers.refresher: unknown refresher "uac"`},
		{"sip:\n  session_timers:\n    expires: -5\n", `sip.session_timers.expires`},
		{"subscribers:\n  - number: \"1\"\n    password: x\n    session_timers:\n      min_se: 10\n", `pbx.yaml:5: subscribers[0].session_timers.min_se: must be at least 90 (RFC 4028 §4), got 10`},
		{"subscribers:\n  - number: \"1\"\n    password: x\n    session_timers:\n      expires: 100\n", ``}, // 100 ≥ the global 90
		{"peers:\n  - name: p\n    host: 192.0.2.1\n    session_timers:\n      expires: 100\n      min_se: 200\n", `pbx.yaml:5: peers[0].session_timers.expires: expires (100) must not be below min_se (200)`},
		{"peers:\n  - name: p\n    host: 192.0.2.1\n    session_timers:\n      refresher: me\n", `pbx.yaml:5: peers[0].session_timers.refresher: unknown refresher "me"`},
		{"sip:\n  session_timers:\n    expiry: 100\n", `pbx.yaml:3: sip.session_timers: unknown field "expiry"`},
	} {
		_, err := Parse("pbx.yaml", []byte(tc.yaml))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one containing %q", tc.yaml, err, tc.want)
		}
	}
}

package pbx_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/services/abbreviated"
	"pbxlab/pbx/internal/services/authority"
	"pbxlab/pbx/internal/services/restriction"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// plainErrors turns every voice prompt off: refusals arrive at once.
func plainErrors(c *config.Config) {
	c.Media.Prompts = map[string]config.Prompt{}
	for _, cause := range config.PromptCauses() {
		c.Media.Prompts[cause] = config.Prompt{}
	}
}

// servicesConfig: numbers 9... go out through route "out" to the carrier
// at port (the 9 kept), the emergency number 112 too; classes local (9),
// national (90), international (900); 1009 is in the lobby (internal
// only), everybody else staff (up to national); the guests (1009) may
// not call the board (1001).
func servicesConfig(c *config.Config, port int) {
	plainErrors(c)
	c.Peers = []config.Peer{{Name: "carrier", Host: "127.0.0.1", Port: port, Transport: config.TransportUDP}}
	c.Routes = []config.Route{{Name: "out", Peers: []string{"carrier"}}}
	c.Numbering.Entries = []config.NumberingEntry{
		{Prefix: "9", Min: 2, Max: 21, Kind: "route", Target: "out"},
		{Prefix: "112", Min: 3, Max: 3, Kind: "route", Target: "out"},
	}
	c.Services.Authority = authority.Config{
		Classes: []authority.Class{{Name: "internal"}, {Name: "local", Prefixes: []string{"9"}},
			{Name: "national", Prefixes: []string{"90"}}, {Name: "international", Prefixes: []string{"900"}}},
		Roles:       []authority.Role{{Name: "lobby", Class: "internal"}, {Name: "staff", Class: "national"}},
		Members:     []authority.Members{{Role: "lobby", Numbers: []string{"1009"}}},
		DefaultRole: "staff",
	}
	c.Services.GroupRestriction = restriction.Config{
		Groups:       []restriction.Group{{Name: "guests", Numbers: []string{"1009"}}, {Name: "board", Numbers: []string{"1001"}}},
		Restrictions: []restriction.Restriction{{From: "guests", To: "board"}},
	}
	c.Services.Switches.Subscribers = map[string]map[string]config.Switch{"1002": {"authority": config.SwitchOff}}
}

// servicesPBX starts a PBX with servicesConfig (by start, given the
// configuration change) and the test UA playing its carrier, which
// answers 100 and nothing else by itself.
func servicesPBX(t *testing.T, start func(tweak func(*config.Config)) *pbxtest.Instance) (*pbxtest.Instance, *testua.UA) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := start(func(c *config.Config) { servicesConfig(c, pc.LocalAddr().(*net.UDPAddr).Port) })
	carrier, err := testua.New(testua.Config{Transport: "udp", PBX: in.UDP, User: "carrier"},
		testua.WithPacketConn(pc), testua.WithAuto(testua.DefaultAuto&^testua.AutoRinging))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = carrier.Close() })
	return in, carrier
}

// TestCallAuthority: outgoing call authority by class, inter-group
// restriction, the service switch, and emergency numbers bypassing both.
func TestCallAuthority(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in, carrier := servicesPBX(t, func(tweak func(*config.Config)) *pbxtest.Instance {
		return startPBX(t, tweak, pbxtest.Options{})
	})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002", "1009")

	const (
		barred  = 403
		outside = 486 // the carrier's answer: the call got out
		rings   = 0
	)
	sent := 0
	for _, tc := range []struct {
		name, caller, dialled string
		want                  int
	}{
		{"staff calls local", "1000", "9123", outside},
		{"staff calls national", "1000", "9010123", outside},
		{"staff calls international", "1000", "900441234", barred},
		{"a subscriber authority is switched off for calls anything", "1002", "900441234", outside},
		{"the lobby calls a subscriber", "1009", "1000", rings},
		{"the lobby calls local", "1009", "9123", barred},
		{"a guest calls the board", "1009", "1001", barred},
		{"the board calls a guest", "1001", "1009", rings},
		{"the lobby calls the emergency number", "1009", "112", outside},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ps[tc.caller].Dial(ctx, tc.dialled)
			if err != nil {
				t.Fatal(err)
			}
			switch tc.want {
			case rings: // and answers: the phones answer by themselves
				if err := c.WaitAnswer(ctx); err != nil {
					t.Fatalf("%v (code %d)", err, c.Code())
				}
				callee := ps[tc.dialled].nextIncoming(ctx, t)
				if err := c.Hangup(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := callee.Wait(ctx); err != nil {
					t.Fatal(err)
				}
				return
			case outside:
				sent++
				inv := nthInvite(ctx, t, carrier, sent)
				if got := inv.Request().Recipient.User; got != tc.dialled {
					t.Errorf("the carrier got a call for %s, want %s", got, tc.dialled)
				}
				if err := inv.Reply(486, "Busy Here"); err != nil {
					t.Fatal(err)
				}
			}
			end, err := c.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if end.Code != tc.want {
				t.Errorf("%s dials %s: %d, want %d", tc.caller, tc.dialled, end.Code, tc.want)
			}
		})
	}
	if n := invites(carrier); n != sent {
		t.Errorf("the carrier got %d calls, want %d (a barred call got out)", n, sent)
	}
}

// TestAbbreviatedDialling: a personal code set from the phone is confirmed
// (200, the confirmation tone, the PBX hangs up), dials its number, beats
// the system-wide code, survives a restart of the PBX (the store), and is
// cleared; with the service switched off the codes are refused (403),
// with the media server off they are refused (486) and nothing changes.
func TestAbbreviatedDialling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "pbx.db")
	tweak := func(c *config.Config) {
		plainErrors(c)
		c.Store.Path = path
		c.Media.TonePlan = "us"
		c.Services.Abbreviated = abbreviated.Config{Codes: map[string]string{"01": "1001", "02": "1002"}}
		c.Services.Switches.Subscribers = map[string]map[string]config.Switch{"1003": {"abbreviated": config.SwitchOff}}
	}
	confirmed := func(t *testing.T, p *testPhone, dialled string) {
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
		if st := c.MediaStats(); st.PacketsIn == 0 {
			t.Errorf("%s dials %s: no confirmation tone (no RTP)", p.Number(), dialled)
		}
	}
	reaches := func(t *testing.T, ps map[string]*testPhone, from, dialled, callee string) {
		t.Helper()
		c, err := ps[from].Dial(ctx, dialled)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err != nil {
			t.Fatalf("%s dials %s: %v (code %d)", from, dialled, err, c.Code())
		}
		inc := ps[callee].nextIncoming(ctx, t)
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	fails := func(t *testing.T, p *testPhone, dialled string, want int) {
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

	first := startPBX(t, tweak, pbxtest.Options{})
	ps := registered(ctx, t, first.Target(), phone.Config{}, "1000", "1001", "1002", "1003")
	reaches(t, ps, "1000", "**01", "1001") // system-wide
	fails(t, ps["1000"], "**05", 404)      // not set
	confirmed(t, ps["1000"], "*51*05*1002#")
	confirmed(t, ps["1000"], "*51*01*1003%23") // a personal 01 ...
	reaches(t, ps, "1000", "**05", "1002")
	reaches(t, ps, "1000", "**01", "1003") // ... beats the system-wide one
	reaches(t, ps, "1002", "**01", "1001") // for its owner only
	fails(t, ps["1003"], "*51*05*1000#", 403)
	fails(t, ps["1003"], "**01", 403)
	fails(t, ps["1000"], "*51*5*1002", 484)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startPBX(t, tweak, pbxtest.Options{})
	ps = registered(ctx, t, second.Target(), phone.Config{}, "1000", "1001", "1002", "1003")
	reaches(t, ps, "1000", "**05", "1002") // the store kept it
	confirmed(t, ps["1000"], "#51*05#")
	fails(t, ps["1000"], "**05", 404)
	confirmed(t, ps["1000"], "#51*01")
	reaches(t, ps, "1000", "**01", "1001")
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}

	third := startPBX(t, func(c *config.Config) { tweak(c); c.Media.Enabled = false }, pbxtest.Options{})
	ps = registered(ctx, t, third.Target(), phone.Config{}, "1000", "1001", "1002")
	fails(t, ps["1000"], "*51*01*1002#", 486) // no media server: nothing changes
	reaches(t, ps, "1000", "**01", "1001")
}

// TestSuspendedSubscriberCallsEmergency: a suspended subscriber's calls are
// refused (403), except to an emergency number, which is always routed
// (manual Call Services ch. 3).
func TestSuspendedSubscriberCallsEmergency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in, carrier := servicesPBX(t, func(tweak func(*config.Config)) *pbxtest.Instance {
		return adminPBX(t, adminToken, tweak)
	})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000")
	newAPI(t, in, adminToken).must(ctx, 200, "POST", "/api/v1/subscribers/1000/suspend", "")

	for _, tc := range []struct {
		dialled string
		want    int
	}{{"9123", 403}, {"112", 486}} {
		c, err := ps["1000"].Dial(ctx, tc.dialled)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == 486 {
			inv := nthInvite(ctx, t, carrier, 1)
			if err := inv.Reply(486, "Busy Here"); err != nil {
				t.Fatal(err)
			}
		}
		end, err := c.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if end.Code != tc.want {
			t.Errorf("suspended 1000 dials %s: %d, want %d", tc.dialled, end.Code, tc.want)
		}
	}
	if n := invites(carrier); n != 1 {
		t.Errorf("the carrier got %d calls, want 1 (the emergency call only)", n)
	}
}

package pbx_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// TestDigestAlgorithmOrder: the realm's algorithm order is the order of the
// challenges, and a phone registers and calls under either order.
func TestDigestAlgorithmOrder(t *testing.T) {
	for _, order := range [][]config.Algorithm{
		{config.AlgorithmMD5, config.AlgorithmSHA256},
		{config.AlgorithmSHA256, config.AlgorithmMD5},
	} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			in := startPBX(t, func(c *config.Config) { c.Auth.Realms[0].Algorithms = order }, pbxtest.Options{})
			u := newUA(t, in.UDP, "1000")
			res, err := u.Do(ctx, u.NewRegister(testua.Registration{Domain: "127.0.0.1", Expires: -1}))
			if err != nil || res.StatusCode != 401 {
				t.Fatalf("REGISTER without credentials: %v, %v", res, err)
			}
			var algs []string
			for _, h := range res.GetHeaders("WWW-Authenticate") {
				for _, a := range order {
					if strings.Contains(h.Value(), "algorithm="+string(a)+",") || strings.HasSuffix(h.Value(), "algorithm="+string(a)) ||
						strings.Contains(h.Value(), "algorithm="+string(a)+" ") {
						algs = append(algs, string(a))
					}
				}
			}
			if fmt.Sprint(algs) != fmt.Sprint(order) {
				t.Fatalf("challenges in order %v, want %v:\n%s", algs, order, res)
			}
			ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
			c, _ := talk(ctx, t, ps["1000"], ps["1001"])
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestUnacceptableSDPAndUpdate: an offer with no codec the PBX knows
// gets 488; an UPDATE in a confirmed dialog reaches the far end.
func TestUnacceptableSDPAndUpdate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
	}, pbxtest.Options{})
	callee := registered(ctx, t, in.Target(), phone.Config{}, "1001")["1001"]
	u := newUA(t, in.UDP, "1000")
	g729 := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
	inv := u.NewInvite("1001", []byte(g729))
	if r, err := u.Do(ctx, inv); err != nil || r.StatusCode != 488 {
		t.Fatalf("G.729-only offer answered %v, %v; want 488", r, err)
	}
	if n := len(u.Sent(testua.And(testua.Method(sip.ACK), testua.Of(inv)))); n != 1 {
		t.Errorf("488 ACKed %d times", n)
	}

	u2 := newUA(t, in.UDP, "1000")
	tx := answered(ctx, t, u2, "1001")
	leg := callee.nextIncoming(ctx, t)
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	d := tx.Dialog()
	if r, err := u2.Do(ctx, d.NewRequest(sip.UPDATE)); err != nil || r.StatusCode != 200 {
		t.Fatalf("UPDATE answered %v, %v", r, err)
	}
	if r, err := d.Bye(ctx); err != nil || r.StatusCode != 200 {
		t.Fatalf("BYE answered %v, %v", r, err)
	}
	if end, err := leg.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
		t.Fatalf("callee leg ended %+v, %v", end, err)
	}
}

// TestPerRealmSubscribers: a subscriber of a second realm registers in that
// realm (challenged with its own algorithm list, SHA-256 only here) and is
// called by a subscriber of the default realm.
func TestPerRealmSubscribers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.Auth.Realms = append(c.Auth.Realms, config.Realm{Name: "sales", Algorithms: []config.Algorithm{config.AlgorithmSHA256}})
		c.ExplicitSubscribers = []config.Subscriber{{Number: "3000", Password: "demo3000", Realm: "sales"}}
	}, pbxtest.Options{})
	u := newUA(t, in.UDP, "3000")
	res, err := u.Do(ctx, u.NewRegister(testua.Registration{Domain: "127.0.0.1", Expires: -1}))
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("REGISTER without credentials: %v, %v", res, err)
	}
	ch := res.GetHeaders("WWW-Authenticate")
	if len(ch) != 1 || !strings.Contains(ch[0].Value(), `realm="sales"`) || !strings.Contains(ch[0].Value(), "SHA-256") {
		t.Fatalf("challenge for a sales subscriber: %v", ch)
	}
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "3000")
	c, _ := talk(ctx, t, ps["1000"], ps["3000"])
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDigestURIMismatch: credentials whose digest uri is not the
// Request-URI (SIPp's uri=sip:host:port for an INVITE to
// sip:1001@host:port) get 400 (RFC 2617 §3.2.2.5), not 403 or another
// challenge; for a subscriber with digest_uri: host the same INVITE goes
// through, while a REGISTER naming another host still gets 400.
func TestDigestURIMismatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		check    config.DigestURI
		wantCall int
	}{{"strict", "", 400}, {"host only", config.DigestURIHost, 480 /* 1001 not registered: authenticated */}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			in := startPBX(t, func(c *config.Config) {
				c.ExplicitSubscribers = append(c.ExplicitSubscribers, config.Subscriber{Number: "7000", Password: "pw7000", DigestURI: tc.check})
			}, pbxtest.Options{})
			u := newUA(t, in.UDP, "7000")
			inv := u.NewInvite("1001", u.Offer())
			first, err := u.Do(ctx, inv)
			if err != nil || first.StatusCode != 407 {
				t.Fatalf("INVITE without credentials: %v, %v", first, err)
			}
			hostOnly := inv.Recipient.Clone()
			hostOnly.User = ""
			name, value, err := testua.Credentials(first, sip.INVITE, hostOnly.String(), "7000", "pw7000")
			if err != nil {
				t.Fatal(err)
			}
			retry := inv.Clone()
			retry.AppendHeader(sip.NewHeader(name, value))
			retry.CSeq().SeqNo++
			retry.Via().Params.Add("branch", testua.NewBranch())
			res, err := u.Do(ctx, retry)
			if err != nil || res.StatusCode != tc.wantCall {
				t.Fatalf("INVITE with uri %s: %v, %v; want %d", hostOnly, res, err, tc.wantCall)
			}

			reg := u.NewRegister(testua.Registration{Domain: "127.0.0.1", Expires: -1})
			chal, err := u.Do(ctx, reg)
			if err != nil || chal.StatusCode != 401 {
				t.Fatalf("REGISTER without credentials: %v, %v", chal, err)
			}
			name, value, err = testua.Credentials(chal, sip.REGISTER, "sip:elsewhere.example.com", "7000", "pw7000")
			if err != nil {
				t.Fatal(err)
			}
			again := reg.Clone()
			again.AppendHeader(sip.NewHeader(name, value))
			again.CSeq().SeqNo++
			again.Via().Params.Add("branch", testua.NewBranch())
			if res, err := u.Do(ctx, again); err != nil || res.StatusCode != 400 {
				t.Fatalf("REGISTER with a digest uri naming another host: %v, %v; want 400", res, err)
			}
		})
	}
}

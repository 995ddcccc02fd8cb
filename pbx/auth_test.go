package pbx_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

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
			u := newRawUAC(t, in.UDP)
			u.send(fmt.Sprintf("REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bKreg1;rport\nMax-Forwards: 70\n"+
				"From: <sip:1000@127.0.0.1>;tag=r\nTo: <sip:1000@127.0.0.1>\nCall-ID: reg-order\nCSeq: 1 REGISTER\n"+
				"Contact: <sip:1000@%s>\nContent-Length: 0\n\n", u.addr(), u.addr()))
			res, ok := u.next(5 * time.Second).(*sip.Response)
			if !ok || res.StatusCode != 401 {
				t.Fatalf("REGISTER without credentials: %v", res)
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
	u := newRawUAC(t, in.UDP)
	g729 := "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40000 RTP/AVP 18\na=rtpmap:18 G729/8000\n"
	g729 = strings.ReplaceAll(g729, "\n", "\r\n")
	u.send(fmt.Sprintf("INVITE sip:1001@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bKg729;rport\nMax-Forwards: 70\n"+
		"From: <sip:1000@127.0.0.1>;tag=g\nTo: <sip:1001@127.0.0.1>\nCall-ID: g729\nCSeq: 1 INVITE\nContact: <sip:1000@%s>\n"+
		"Content-Type: application/sdp\nContent-Length: %d\n\n%s", u.addr(), u.addr(), len(g729), strings.ReplaceAll(g729, "\r\n", "\n")))
	if r := u.finalFor(t, "INVITE"); r.StatusCode != 488 {
		t.Fatalf("G.729-only offer answered %d, want 488", r.StatusCode)
	}

	u2 := newRawUAC(t, in.UDP)
	ok := u2.answered(t, "update-1", "1001")
	leg := callee.nextIncoming(ctx, t)
	u2.inDialog("ACK", 1, ok, "")
	u2.inDialog("UPDATE", 2, ok, "")
	if r := u2.finalFor(t, "UPDATE"); r.StatusCode != 200 {
		t.Fatalf("UPDATE answered %d", r.StatusCode)
	}
	u2.inDialog("BYE", 3, ok, "")
	if r := u2.finalFor(t, "BYE"); r.StatusCode != 200 {
		t.Fatalf("BYE answered %d", r.StatusCode)
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
	u := newRawUAC(t, in.UDP)
	u.send(fmt.Sprintf("REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bKreg3;rport\nMax-Forwards: 70\n"+
		"From: <sip:3000@127.0.0.1>;tag=r\nTo: <sip:3000@127.0.0.1>\nCall-ID: reg-realm\nCSeq: 1 REGISTER\n"+
		"Contact: <sip:3000@%s>\nContent-Length: 0\n\n", u.addr(), u.addr()))
	res, ok := u.next(5 * time.Second).(*sip.Response)
	if !ok || res.StatusCode != 401 {
		t.Fatalf("REGISTER without credentials: %v", res)
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

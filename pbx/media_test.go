package pbx_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sdpneg"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// Anchored media with real audio: the phones' identities (two tones each)
// are detected through the PBX's relay.

// sipCapture records the PBX's SIP messages; messages closes the PBX and
// returns them parsed.
func sipCapture(t *testing.T) (pbx.Option, func(in *pbxtest.Instance) []sip.Message) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sip.pcapng")
	w, err := pcapio.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return pbx.WithCapture(w), func(in *pbxtest.Instance) []sip.Message {
		t.Helper()
		if err := in.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		pkts, err := pcapio.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out []sip.Message
		for _, p := range pcapio.SIPMessages(pkts) {
			if m, err := sip.ParseMessage(p.Payload); err == nil {
				out = append(out, m)
			}
		}
		return out
	}
}

// sdpTo returns the SDP bodies of messages matching pick, parsed.
func sdpBodies(t *testing.T, msgs []sip.Message, pick func(sip.Message) bool) []*sdpneg.Session {
	t.Helper()
	var out []*sdpneg.Session
	for _, m := range msgs {
		if !pick(m) || len(m.Body()) == 0 {
			continue
		}
		s, err := sdpneg.Parse(m.Body())
		if err != nil {
			t.Fatalf("SDP of %q: %v", m.Body(), err)
		}
		out = append(out, s)
	}
	return out
}

// isFromPBX picks the requests the PBX sent (its Via branches carry its
// token) of method to user.
func isFromPBX(method sip.RequestMethod, user string) func(sip.Message) bool {
	return func(m sip.Message) bool {
		r, ok := m.(*sip.Request)
		if !ok || r.Method != method || r.Recipient.User != user || r.Via() == nil {
			return false
		}
		b, _ := r.Via().Params.Get("branch")
		return strings.HasPrefix(b, sip.RFC3261BranchMagicCookie+"pbx")
	}
}

func isResponse(code int, callID string) func(sip.Message) bool {
	return func(m sip.Message) bool {
		r, ok := m.(*sip.Response)
		return ok && r.StatusCode == code && r.CallID().Value() == callID
	}
}

// checkAnchored fails unless every SDP names the PBX address pbxIP and a
// port of the RTP range.
func checkAnchored(t *testing.T, what string, ss []*sdpneg.Session, pbxIP netip.Addr) {
	t.Helper()
	if len(ss) == 0 {
		t.Fatalf("no SDP %s", what)
	}
	for _, s := range ss {
		if s.Addr.Addr() != pbxIP || s.Addr.Port() < 20000 || s.Addr.Port() > 29999 {
			t.Errorf("SDP %s names %s, want the PBX %s and a port of 20000-29999", what, s.Addr, pbxIP)
		}
	}
}

// checkRelayed fails unless the call's two anchored legs received and
// sent RTP, latched to the phones' IP.
func checkRelayed(t *testing.T, in *pbxtest.Instance, callID string, phoneIP netip.Addr) {
	t.Helper()
	legs := in.MediaLegs()[callID]
	if len(legs) != 2 {
		t.Fatalf("anchored legs of the call: %+v, want 2", legs)
	}
	for _, l := range legs {
		if l.PacketsIn == 0 || l.PacketsOut == 0 || l.Latched.Addr() != phoneIP {
			t.Errorf("leg %s: %+v, want RTP both ways latched to %s", l.Leg, l, phoneIP)
		}
	}
}

// TestAnchoredAudio: over IPv4 and IPv6, the SDP each phone gets names the
// PBX, and each phone hears the other through it.
func TestAnchoredAudio(t *testing.T) {
	for _, tc := range []struct {
		name string
		ip   netip.Addr
	}{{"ipv4", netip.MustParseAddr("127.0.0.1")}, {"ipv6", loopback6}} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			capOpt, messages := sipCapture(t)
			in := startPBX(t, func(c *config.Config) {
				c.SIP.Listen = []string{"udp:" + netip.AddrPortFrom(tc.ip, 0).String()}
			}, pbxtest.Options{KeepListen: true, PBX: []pbx.Option{capOpt}})
			ps := registered(ctx, t, in.UDP.String(), phone.Config{LocalIP: tc.ip}, "1000", "1001")
			c, callee := talk(ctx, t, ps["1000"], ps["1001"])
			checkRelayed(t, in, c.CallID(), tc.ip)
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := callee.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			msgs := messages(in)
			checkAnchored(t, "of the INVITE to 1001", sdpBodies(t, msgs, isFromPBX(sip.INVITE, "1001")), tc.ip)
			checkAnchored(t, "of the 200 to 1000", sdpBodies(t, msgs, isResponse(200, c.CallID())), tc.ip)
		})
	}
}

// TestNATLatching: both phones' SDP names a private address where nobody
// listens; each is still heard, because the PBX sends to where their RTP
// really comes from.
func TestNATLatching(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	ps["1000"].SetSDPAddr(netip.MustParseAddr("192.168.77.10"))
	ps["1001"].SetSDPAddr(netip.MustParseAddr("10.77.0.20"))
	c, _ := talk(ctx, t, ps["1000"], ps["1001"])
	checkRelayed(t, in, c.CallID(), netip.MustParseAddr("127.0.0.1"))
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTranscoding: a phone of A-law only calls a phone of µ-law only; the
// PBX answers each in its own law and transcodes, and both hear each
// other.
func TestTranscoding(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	capOpt, messages := sipCapture(t)
	in := startPBX(t, nil, pbxtest.Options{PBX: []pbx.Option{capOpt}})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	ps["1000"].SetCodecs(sdpneg.PCMA())
	ps["1001"].SetCodecs(sdpneg.PCMU())
	c, _ := talk(ctx, t, ps["1000"], ps["1001"])
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := messages(in)
	audio := func(ss []*sdpneg.Session) string {
		if len(ss) == 0 {
			return "none"
		}
		a, _ := ss[0].AudioCodec()
		return a.Name
	}
	if got := audio(sdpBodies(t, msgs, isResponse(200, c.CallID()))); got != "PCMA" {
		t.Errorf("the caller's answer is %s, want PCMA", got)
	}
	if got := sdpBodies(t, msgs, isFromPBX(sip.INVITE, "1001")); len(got) == 0 || len(got[0].Codecs) < 2 || got[0].Codecs[0].Name != "PCMA" || got[0].Codecs[1].Name != "PCMU" {
		t.Errorf("the callee's offer %+v, want PCMA then PCMU (the PBX transcodes)", got)
	}
}

// TestNothingToBridge488: an offer with no codec the PBX bridges gets 488,
// and so does a call whose callee takes none of the PBX's.
func TestNothingToBridge488(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, nil, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	g722 := sdpneg.Codec{PT: 9, Name: "G722", Rate: 8000}
	for _, tc := range []struct {
		name           string
		caller, callee []sdpneg.Codec
	}{
		{"caller offers G.722 only", []sdpneg.Codec{g722}, nil},
		{"callee takes G.722 only", []sdpneg.Codec{sdpneg.PCMU()}, []sdpneg.Codec{g722}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps["1000"].SetCodecs(tc.caller...)
			ps["1001"].SetCodecs(tc.callee...)
			c, err := ps["1000"].Dial(ctx, "1001")
			if err != nil {
				t.Fatal(err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Code != 488 {
				t.Fatalf("call ended %+v, %v; want 488", end, err)
			}
		})
	}
}

// TestMediaTimeout: a phone whose RTP stops while the call is up: the PBX
// ends the call with BYE to both phones, CDR reason "media timeout".
func TestMediaTimeout(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) { c.Media.Timeout = time.Second }, pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	c, callee := talk(ctx, t, ps["1000"], ps["1001"])
	callee.StopSending()
	for _, leg := range []*phone.Call{c, callee} {
		if end, err := leg.Wait(ctx); err != nil || end.Reason != phone.ReasonBye || end.By != phone.Remote {
			t.Fatalf("%s's leg ended %+v, %v; want BYE from the PBX", leg.Phone().Number(), end, err)
		}
	}
	recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 1 && r[0].Reason != "" })
	if recs[0].Reason != "media timeout" || recs[0].Disposition != pbx.Answered {
		t.Fatalf("CDR %+v, want ANSWERED, media timeout", recs[0])
	}
}

// TestForkedEarlyMediaAnchored: 1001 rings on two devices; the first plays
// early media (183) and would answer late, the second answers first
// without early media. The caller hears the first device during ringing
// and the second once answered, and its 183 and 200 carry the same SDP:
// the PBX's.
func TestForkedEarlyMediaAnchored(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	capOpt, messages := sipCapture(t)
	in := startPBX(t, nil, pbxtest.Options{PBX: []pbx.Option{capOpt}})
	caller := registered(ctx, t, in.Target(), phone.Config{}, "1000")["1000"]
	early, answering := phone.IdentityFor("1101"), phone.IdentityFor("1102")
	modes := []phone.AnswerMode{
		{Behaviour: phone.Answer, Delay: 20 * time.Second, EarlyMedia: true},
		{Behaviour: phone.Manual},
	}
	var devices []*testPhone
	for i, id := range []phone.Identity{early, answering} {
		ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ag.Close() })
		p := newTestPhone(t, ag, phone.PhoneConfig{Number: "1001", Password: "demo1001", Identity: id, Answer: modes[i]})
		if _, err := p.Register(ctx); err != nil {
			t.Fatal(err)
		}
		devices = append(devices, p)
	}
	c, err := caller.Dial(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	second := devices[1].nextIncoming(ctx, t)
	for !c.EarlyMedia() { // the 183 (the other device's 180 may come first)
		select {
		case <-ctx.Done():
			t.Fatal("no 183 with SDP reached the caller")
		case <-time.After(10 * time.Millisecond):
		}
	}
	lctx, lcancel := context.WithTimeout(ctx, 10*time.Second)
	if _, err := c.Listen(lctx, early); err != nil {
		t.Errorf("no early media from the first device during ringing: %v", err)
	}
	lcancel()
	if err := second.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	lctx, lcancel = context.WithTimeout(ctx, 10*time.Second)
	if _, err := c.Listen(lctx, answering); err != nil {
		t.Errorf("the caller does not hear the device that answered: %v", err)
	}
	lcancel()
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := messages(in)
	e, a := sdpBodies(t, msgs, isResponse(183, c.CallID())), sdpBodies(t, msgs, isResponse(200, c.CallID()))
	checkAnchored(t, "of the 183 to the caller", e, netip.MustParseAddr("127.0.0.1"))
	checkAnchored(t, "of the 200 to the caller", a, netip.MustParseAddr("127.0.0.1"))
	if e[0].Addr != a[0].Addr || e[0].Origin != a[0].Origin {
		t.Errorf("183 SDP %+v and 200 SDP %+v differ", e[0], a[0])
	}
}

// TestMixedFamilyCall: an IPv4 phone calls an IPv6 phone through a PBX
// listening on both: each leg's SDP names the PBX in the leg's own family
// (IN IP4 to the IPv4 phone, IN IP6 to the IPv6 one), the PBX relays
// between the families, and both phones hear each other.
func TestMixedFamilyCall(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v4 := netip.MustParseAddr("127.0.0.1")
	capOpt, messages := sipCapture(t)
	in := startPBX(t, func(c *config.Config) {
		c.SIP.Listen = []string{"udp:127.0.0.1:0", "udp:[::1]:0"}
	}, pbxtest.Options{KeepListen: true, PBX: []pbx.Option{capOpt}})
	var at6 netip.AddrPort
	for _, a := range in.Addrs() {
		if a.AddrPort.Addr().Is6() {
			at6 = a.AddrPort
		}
	}
	if !at6.IsValid() {
		t.Fatalf("PBX listens on %v: no IPv6 address", in.Addrs())
	}
	p4 := registered(ctx, t, in.UDP.String(), phone.Config{LocalIP: v4}, "1000")
	p6 := registered(ctx, t, at6.String(), phone.Config{LocalIP: loopback6}, "1001")
	c, callee := talk(ctx, t, p4["1000"], p6["1001"])
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := messages(in)
	checkAnchored(t, "of the INVITE to the IPv6 phone", sdpBodies(t, msgs, isFromPBX(sip.INVITE, "1001")), loopback6)
	checkAnchored(t, "of the 200 to the IPv4 phone", sdpBodies(t, msgs, isResponse(200, c.CallID())), v4)
}

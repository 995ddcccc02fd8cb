package pbx_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/testua"
	"pbxlab/pbx/pbxtest/vnet"
)

// The media timeout in virtual time: the PBX anchors the calls (vnet's
// WithMedia) on the in-memory network; nobody sends RTP.

const mediaTimeout = 20 * time.Second

// startAnchored starts the PBX anchoring calls with a 20 s media timeout.
func startAnchored(t *testing.T) *vnet.Harness {
	t.Helper()
	cfg := trustingPhones()
	cfg.Media.Timeout = mediaTimeout
	return vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
}

// answeredCall has a test UA call 1001 (a phone that answers at once) with
// offer and ACKs the 200; it returns the UA's dialog and when it answered.
func answeredCall(ctx context.Context, t *testing.T, u *testua.UA, offer []byte) (*testua.Dialog, time.Time) {
	t.Helper()
	tx, _ := inviteAnswered(ctx, t, u, u.NewInvite("1001", offer))
	return tx.Dialog(), time.Now()
}

// inviteAnswered sends inv from u, wants 200 and ACKs it; it returns the
// transaction and the 200.
func inviteAnswered(ctx context.Context, t *testing.T, u *testua.UA, inv *sip.Request) (*testua.ClientTx, *sip.Response) {
	t.Helper()
	tx, err := u.Start(inv)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%s to %s answered %v, %v; want 200", inv.Method, inv.Recipient.User, res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	return tx, res
}

// TestVirtualMediaTimeout: an answered call in which no RTP flows ends
// with BYE to both legs between timeout and timeout plus the sweep
// interval (a quarter of it) after the answer, CDR reason "media timeout".
func TestVirtualMediaTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// a virtual deadline: a wait that would hang fails in no real time
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startAnchored(t)
		callee := h.Phone("1001")
		u := virtualUA(t, h, "1000")
		_, answered := answeredCall(ctx, t, u, u.Offer())
		bye, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		if d := bye.Record().At.Sub(answered); d < mediaTimeout || d > mediaTimeout+mediaTimeout/4 {
			t.Errorf("BYE %s after the answer, want between %s and %s", d, mediaTimeout, mediaTimeout+mediaTimeout/4)
		}
		calls := callee.Calls()
		if len(calls) > 0 {
			if _, err := calls[0].Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if recs := cdrsOf(t, h); len(recs) != 1 || recs[0].Reason != "media timeout" {
			t.Fatalf("CDRs %+v, want one ended by media timeout", recs)
		}
	})
}

// TestVirtualHeldCallHasNoMediaTimeout: a call on hold (the caller's
// offer sendonly, the callee's answer recvonly: neither leg should be
// sending) stays up for ten times the timeout without RTP; once the caller
// resumes (re-INVITE sendrecv, answered sendrecv), the timeout applies
// again.
func TestVirtualHeldCallHasNoMediaTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// a virtual deadline: a wait that would hang fails in no real time
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startAnchored(t)
		callee := virtualUA(t, h, "1001")
		if res, err := callee.Register(ctx, testua.Registration{Password: "demo1001", Expires: 3600}); err != nil || res.StatusCode != 200 {
			t.Fatalf("REGISTER 1001: %v, %v", res, err)
		}
		answer := func() {
			t.Helper()
			inc, err := callee.AwaitIncoming(ctx, testua.Method(sip.INVITE))
			if err != nil {
				t.Fatal(err)
			}
			ok, err := inc.Answer()
			if err != nil {
				t.Fatal(err)
			}
			if err := inc.Respond(ok); err != nil {
				t.Fatal(err)
			}
		}
		u := virtualUA(t, h, "1000")
		held := []byte(strings.Replace(string(u.Offer()), "a=sendrecv", "a=sendonly", 1))
		tx, err := u.Start(u.NewInvite("1001", held))
		if err != nil {
			t.Fatal(err)
		}
		answer()
		if res, err := tx.Final(ctx); err != nil || res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=recvonly") {
			t.Fatalf("INVITE answered %v, %v; want 200 recvonly", res, err)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * mediaTimeout)
		synctest.Wait()
		if byes := append(u.Received(testua.Method(sip.BYE)), callee.Received(testua.Method(sip.BYE))...); len(byes) != 0 {
			t.Fatalf("the held call was ended within %s: %v", 10*mediaTimeout, byes)
		}
		re := tx.Dialog().NewRequest(sip.INVITE)
		testua.SetBody(re, "application/sdp", u.Offer())
		rtx, err := u.Start(re)
		if err != nil {
			t.Fatal(err)
		}
		answer()
		if res, err := rtx.Final(ctx); err != nil || res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=sendrecv") {
			t.Fatalf("resume re-INVITE answered %v, %v; want 200 sendrecv", res, err)
		}
		if _, err := rtx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		resumed := time.Now()
		bye, err := u.AwaitIncoming(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		if d := bye.Record().At.Sub(resumed); d < mediaTimeout || d > mediaTimeout+mediaTimeout/4 {
			t.Errorf("BYE %s after the resume, want between %s and %s", d, mediaTimeout, mediaTimeout+mediaTimeout/4)
		}
		if recs := cdrsOf(t, h); len(recs) != 1 || recs[0].Reason != "media timeout" {
			t.Fatalf("CDRs %+v, want one ended by media timeout", recs)
		}
	})
}

// TestVirtualMediaAdvertise: media.advertise names the PBX's RTP address
// in the SDP it sends, independently of the SIP listener's address (a
// container publishing only SIP); the default names the listener's.
func TestVirtualMediaAdvertise(t *testing.T) {
	for _, tc := range []struct {
		name, advertise string
		want            func(h *vnet.Harness) netip.Addr
	}{
		{"default: the SIP listener's address", "", func(h *vnet.Harness) netip.Addr { return h.Addr.Addr() }},
		{"an IP", "192.0.2.10", func(*vnet.Harness) netip.Addr { return netip.MustParseAddr("192.0.2.10") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				cfg := trustingPhones()
				cfg.Media.Advertise = tc.advertise
				h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
				h.Phone("1001")
				u := virtualUA(t, h, "1000")
				_, res := inviteAnswered(ctx, t, u, u.NewInvite("1001", u.Offer()))
				s, err := sdpneg.Parse(res.Body())
				if err != nil {
					t.Fatal(err)
				}
				if want := tc.want(h); s.Addr.Addr() != want {
					t.Fatalf("200's SDP names %s, want %s", s.Addr, want)
				}
			})
		})
	}
}

// TestVirtualMultipartInvite: a carrier's INVITE whose body is SDP beside
// ISUP (multipart/mixed, RFC 5621/3204) is not refused with 415: the PBX
// uses the SDP part, the call is answered, and the answer is plain SDP.
func TestVirtualMultipartInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startAnchored(t)
		h.Phone("1001")
		u := virtualUA(t, h, "1000")
		inv := u.NewInvite("1001", nil)
		body := "--b1\r\nContent-Type: application/sdp\r\n\r\n" + string(u.Offer()) +
			"--b1\r\nContent-Type: application/ISUP; version=nxv3\r\nContent-Disposition: signal; handling=optional\r\n\r\n\x01\x00\x49\x00\r\n--b1--\r\n"
		testua.SetBody(inv, "multipart/mixed; boundary=b1", []byte(body))
		_, res := inviteAnswered(ctx, t, u, inv) // not 415
		if ct := res.ContentType(); ct == nil || ct.Value() != "application/sdp" {
			t.Fatalf("answer Content-Type %v, want application/sdp", ct)
		}
		if _, err := sdpneg.Parse(res.Body()); err != nil {
			t.Fatalf("answer is no SDP: %v", err)
		}
	})
}

// TestVirtualKeepalive: with registrar.keepalive 30s a registered UDP
// phone gets an OPTIONS every 30 s (at the address its REGISTER came
// from), none before; with keepalive off, none at all.
func TestVirtualKeepalive(t *testing.T) {
	for _, every := range []time.Duration{30 * time.Second, 0} {
		t.Run(every.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				cfg := trustingPhones()
				cfg.Registrar.Keepalive = every
				h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait))
				u := virtualUA(t, h, "1001")
				if res, err := u.Register(ctx, testua.Registration{Password: h.Password("1001"), Expires: 3600}); err != nil || res.StatusCode != 200 {
					t.Fatalf("register: %v, %v", res, err)
				}
				start := time.Now()
				time.Sleep(95 * time.Second)
				synctest.Wait()
				pings := u.Received(testua.Method(sip.OPTIONS))
				want := 0
				if every > 0 {
					want = 3
				}
				if len(pings) != want {
					t.Fatalf("%d OPTIONS in 95 s, want %d", len(pings), want)
				}
				for i, p := range pings {
					at := p.At.Sub(start)
					if lo := time.Duration(i+1) * every; at < lo-time.Second || at > lo+every/2 {
						t.Errorf("OPTIONS %d at %s, want about %s", i+1, at, lo)
					}
				}
			})
		})
	}
}

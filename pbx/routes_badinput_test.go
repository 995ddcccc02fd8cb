package pbx_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/cdr"
)

// badAnswer is what a broken carrier sends for an INVITE: the bytes of a
// response built from the request and then spoiled, or any bytes.
type badAnswer func(t *testing.T, in *testua.Incoming) []byte

// okFrom is the carrier's 200 to in with SDP (a valid one, before a case
// spoils it).
func okFrom(t *testing.T, in *testua.Incoming) *sip.Response {
	t.Helper()
	res, err := in.Answer()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var badAnswers = []struct {
	name string
	send badAnswer
}{
	{"bytes that are no SIP", func(*testing.T, *testua.Incoming) []byte {
		return []byte("\x00\xff\xfeHTTP/1.1 200 OK\r\n\r\n\x01\x02")
	}},
	{"an unparseable status line", func(t *testing.T, in *testua.Incoming) []byte {
		return []byte(strings.Replace(okFrom(t, in).String(), "SIP/2.0 200 OK", "SIP/2.0 2OO OK", 1))
	}},
	{"a status code of no class", func(t *testing.T, in *testua.Incoming) []byte {
		return []byte(strings.Replace(in.NewResponse(200, "OK").String(), "SIP/2.0 200 OK", "SIP/2.0 999 Nonsense", 1))
	}},
	{"a 200 without To tag", func(t *testing.T, in *testua.Incoming) []byte {
		res := okFrom(t, in)
		to := res.To()
		to.Params.Remove("tag")
		return []byte(res.String())
	}},
	{"a 200 with broken SDP", func(t *testing.T, in *testua.Incoming) []byte {
		res := okFrom(t, in)
		res.SetBody([]byte("v=0\r\no=garbage\r\nm=audio notaport RTP/AVP\r\n"))
		return []byte(res.String())
	}},
	{"a 200 without SDP", func(t *testing.T, in *testua.Incoming) []byte {
		res := okFrom(t, in)
		res.RemoveHeader("Content-Type")
		res.SetBody(nil)
		return []byte(res.String())
	}},
	{"a 200 for another call", func(t *testing.T, in *testua.Incoming) []byte {
		res := okFrom(t, in)
		res.ReplaceHeader(sip.NewHeader("Call-ID", "not-this-call@carrier"))
		return []byte(res.String())
	}},
}

// TestVirtualRouteCarrierAnswersGarbage: whatever the first carrier
// answers, the PBX does not crash; the call fails over to the second
// carrier, whose 200 the caller gets; no 503 reaches the caller.
func TestVirtualRouteCarrierAnswersGarbage(t *testing.T) {
	for _, tc := range badAnswers {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				first, second, u := twoCarriers(t)
				first.SetAuto(testua.AutoBye | testua.AutoOptions)
				tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
				if err != nil {
					t.Fatal(err)
				}
				in := nthInvite(ctx, t, first, 1)
				if err := first.SendRaw(tc.send(t, in)); err != nil {
					t.Fatal(err)
				}
				in2 := nthInvite(ctx, t, second, 1)
				ok, err := in2.Answer()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := in2.RespondUntilAck(ctx, ok); err != nil {
					t.Fatal(err)
				}
				res, err := tx.Final(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if res.StatusCode != 200 {
					t.Fatalf("caller got %d %s, want 200 from the second carrier", res.StatusCode, res.Reason)
				}
				if _, err := tx.Ack(nil); err != nil {
					t.Fatal(err)
				}
				if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
					t.Fatalf("BYE: %v %v", res, err)
				}
				for _, r := range tx.Responses() {
					if r.Response() != nil && r.Response().StatusCode != 100 && r.Response().StatusCode != 200 {
						t.Errorf("the caller saw the broken carrier's %d", r.Response().StatusCode)
					}
				}
			})
		})
	}
}

// TestVirtualRouteOnlyCarrierAnswersGarbage: when the route's only
// carrier answers garbage the call fails with a status that says so
// (480: nothing usable came back; 502 Bad Gateway: an invalid response
// from downstream, RFC 3261 §21.5.3), never the garbage itself and never
// 503, and the CDR holds that cause. A broken 2xx is ACKed and BYEd.
func TestVirtualRouteOnlyCarrierAnswersGarbage(t *testing.T) {
	want := map[string]int{
		"bytes that are no SIP":      480,
		"an unparseable status line": 480,
		"a status code of no class":  502,
		"a 200 without To tag":       502,
		"a 200 with broken SDP":      502,
		"a 200 without SDP":          502,
		"a 200 for another call":     502,
	}
	for _, tc := range badAnswers {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				h := startVirtual(t, routeConfig(config.Peer{Name: "only", Host: "10.0.0.201"}))
				only := virtualCarrierAuto(t, h, "10.0.0.201:5060", testua.AutoBye|testua.AutoOptions)
				u := virtualUA(t, h, "1000")
				tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
				if err != nil {
					t.Fatal(err)
				}
				in := nthInvite(ctx, t, only, 1)
				if err := only.SendRaw(tc.send(t, in)); err != nil {
					t.Fatal(err)
				}
				res, err := tx.Final(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if res.StatusCode != want[tc.name] {
					t.Errorf("caller got %d %s, want %d", res.StatusCode, res.Reason, want[tc.name])
				}
				if want[tc.name] == 502 && tc.name != "a status code of no class" {
					// the broken 2xx's dialog is ended (ACK, then BYE)
					if _, err := only.AwaitIncoming(ctx, testua.Method(sip.BYE)); err != nil {
						t.Errorf("no BYE for the broken 2xx: %v", err)
					}
				}
				synctest.Wait() // the call's end recorded
				recs, err := h.PBX.CDRs().List(ctx, cdr.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != 1 || recs[0].Cause != want[tc.name] || recs[0].Disposition == cdr.Answered {
					t.Errorf("CDRs %+v, want one failed call with cause %d", recs, want[tc.name])
				}
			})
		})
	}
}

// TestVirtualRouteUnreachableCarrier: a carrier with nothing at its
// address (no qualify: the PBX cannot know) costs the call Timer B, then
// the next carrier takes it; with no next carrier the caller gets 480
// and the CDR says 480.
func TestVirtualRouteUnreachableCarrier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		h := startVirtual(t, routeConfig(
			config.Peer{Name: "gone", Host: "10.0.0.209"},
			config.Peer{Name: "second", Host: "10.0.0.202"}))
		second := virtualCarrier(t, h, "10.0.0.202:5060")
		u := virtualUA(t, h, "1000")
		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if err := nthInvite(ctx, t, second, 1).Reply(486, "Busy Here"); err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Final(ctx); err != nil || res.StatusCode != 486 {
			t.Fatalf("caller got %v %v, want the second carrier's 486", res, err)
		}

		h2 := startVirtual(t, routeConfig(config.Peer{Name: "gone", Host: "10.0.0.209"}))
		u2 := virtualUA(t, h2, "1000")
		res, err := u2.Do(ctx, u2.NewInvite("90123456789", u2.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 480 {
			t.Errorf("only carrier unreachable: caller got %d %s, want 480", res.StatusCode, res.Reason)
		}
		synctest.Wait()
		recs, err := h2.PBX.CDRs().List(ctx, cdr.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Cause != 480 {
			t.Errorf("CDRs %+v, want one with cause 480", recs)
		}
	})
}

// TestVirtualRouteTryingThenSilence: a carrier that sends 100 Trying and
// then nothing is cancelled after the route's progress timeout (15 s by
// default) and the next carrier takes the call, long before the call's
// no-answer timer; a carrier that rings (180) is not cut off by it.
func TestVirtualRouteTryingThenSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		first, second, u := twoCarriers(t)
		first.SetAuto(testua.AutoTrying | testua.AutoCancel | testua.AutoBye | testua.AutoOptions)
		start := time.Now()
		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		nthInvite(ctx, t, first, 1)
		in := nthInvite(ctx, t, second, 1)
		if waited := time.Since(start); waited != config.DefaultProgressTimeout {
			t.Errorf("the second carrier got the call after %s, want the progress timeout %s", waited, config.DefaultProgressTimeout)
		}
		if _, err := first.AwaitIncoming(ctx, testua.Method(sip.CANCEL)); err != nil {
			t.Errorf("the silent carrier's INVITE was not cancelled: %v", err)
		}
		// the second rings for longer than the progress timeout, then answers
		if err := in.Reply(180, "Ringing"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * config.DefaultProgressTimeout)
		ok, err := in.Answer()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.RespondUntilAck(ctx, ok); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("caller got %v %v, want the second carrier's 200", res, err)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("BYE: %v %v", res, err)
		}
	})
}

// TestVirtualRouteBrokenEarlyMedia: a carrier's 183 whose SDP does not
// parse, and a provisional that is no SIP, do not reach the caller; the
// carrier's 486 that follows does.
func TestVirtualRouteBrokenEarlyMedia(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		first, _, u := twoCarriers(t)
		tx, err := u.Start(u.NewInvite("90123456789", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		in := nthInvite(ctx, t, first, 1)
		const broken = "v=0\r\nm=audio x\r\n"
		r := in.NewResponse(183, "Session Progress")
		testua.SetBody(r, "application/sdp", []byte(broken))
		if err := in.Respond(r); err != nil {
			t.Fatal(err)
		}
		if err := first.SendRaw([]byte("SIP/2.0 183 \x00\x01garbage\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := in.Reply(486, "Busy Here"); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 486 {
			t.Fatalf("caller got %v %v, want the carrier's 486", res, err)
		}
		for _, p := range tx.Provisional() {
			if strings.Contains(string(p.Body()), "m=audio x") {
				t.Errorf("the carrier's broken SDP reached the caller in a %d", p.StatusCode)
			}
		}
	})
}

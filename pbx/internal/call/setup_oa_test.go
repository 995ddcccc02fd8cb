package call_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
)

// TestSetupBrokenAnswer: a callee's 200 that breaks offer/answer (RFC
// 3264) — no answer to the PBX's offer, an answer with another number of
// media lines, no offer to an INVITE without one — is ACKed and its dialog
// ended with BYE; the caller is not answered but gets 488 with a Warning.
func TestSetupBrokenAnswer(t *testing.T) {
	twoStreams := func(offer []byte) []byte {
		s := string(offer)
		i := strings.Index(s, "m=audio")
		return []byte(s + strings.Replace(s[i:], "m=audio", "m=video", 1))
	}
	for _, tc := range []struct {
		name    string
		offer   bool
		body    func(in *testua.Incoming, u *testua.UA) []byte
		warning string
	}{
		{"no answer to the offer", true, func(*testua.Incoming, *testua.UA) []byte { return nil }, "no answer to the offer"},
		{"an extra media line", true, func(in *testua.Incoming, u *testua.UA) []byte {
			ans, err := u.Answer(in.Request().Body())
			if err != nil {
				t.Fatal(err)
			}
			return twoStreams(ans)
		}, "media lines"},
		{"no offer in the 2xx of a late offer", false, func(*testua.Incoming, *testua.UA) []byte { return nil }, "no offer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newSetupRig(t, trustedCallers())
				a, b := r.ua("1000"), r.callee("1001")
				var offer []byte
				if tc.offer {
					offer = a.Offer()
				}
				tx := r.invite(a, "1001", offer, nil)
				in := r.incoming(b, testua.Method(sip.INVITE))
				ok := in.NewResponse(200, "OK")
				if body := tc.body(in, b); len(body) > 0 {
					testua.SetBody(ok, "application/sdp", body)
				}
				if _, err := in.RespondUntilAck(r.ctx, ok); err != nil {
					t.Fatalf("the broken 200 was not ACKed: %v", err)
				}
				r.await(b, testua.Method(sip.BYE), "the BYE ending the callee's broken dialog")
				res := r.final(tx)
				if res.StatusCode != 488 {
					t.Fatalf("caller got %d, want 488", res.StatusCode)
				}
				if w := res.GetHeader("Warning"); w == nil || !strings.Contains(w.Value(), tc.warning) {
					t.Errorf("Warning %v, want one saying %q", w, tc.warning)
				}
			})
		})
	}
}

// TestSetupLateOfferACKWithoutAnswer: a caller whose INVITE had no offer
// must answer the offer of the PBX's 200 in its ACK (RFC 3261 §13.2.1);
// an ACK without one ends the call: the callee's 2xx is ACKed declining
// its offer (every stream port 0) and both dialogs get BYE.
func TestSetupLateOfferACKWithoutAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newSetupRig(t, trustedCallers())
		a, b := r.ua("1000"), r.callee("1001")
		tx := r.invite(a, "1001", nil, nil)
		in := r.incoming(b, testua.Method(sip.INVITE))
		acked := make(chan *sip.Request, 1)
		go func() { acked <- r.answer(in) }()
		if res := r.final(tx); res.StatusCode != 200 {
			t.Fatalf("caller got %d", res.StatusCode)
		}
		r.ack(tx, nil)
		ack := <-acked
		if ack == nil || !strings.Contains(string(ack.Body()), "m=audio 0 ") {
			t.Fatalf("callee's ACK %v: want one declining its offer (m=audio 0)", ack)
		}
		r.await(b, testua.Method(sip.BYE), "the callee's BYE")
		r.await(a, testua.Method(sip.BYE), "the caller's BYE")
	})
}

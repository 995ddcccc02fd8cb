package phone

import (
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
)

// A re-INVITE or UPDATE (RFC 3311) within the call is answered 200 with the
// callee's current SDP, and the callee follows a moved media address.
func TestSessionRefreshAnswersWithCurrentSDP(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t, 10*time.Second)
	agentA := newTestAgent(t, Config{})
	agentB := newTestAgent(t, Config{})
	a := newTestPhone(t, agentA, PhoneConfig{Number: "1200"})
	b, inc := callee(t, agentB, "1201", AnswerMode{Behaviour: Answer})
	call, in := answered(t, ctx, a, b, inc)

	moved := netip.MustParseAddrPort("127.0.0.1:40000")
	for _, method := range []sip.RequestMethod{sip.UPDATE, sip.INVITE} {
		offer, err := sdpneg.Offer(moved, sdpneg.DefaultCodecs(), 7)
		if err != nil {
			t.Fatal(err)
		}
		call.mu.Lock()
		d := call.uac
		d.cseq++
		req := call.inDialog(d, method, d.cseq)
		call.mu.Unlock()
		req.SetBody(offer)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		res, err := agentA.do(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("%s answered %d", method, res.StatusCode)
		}
		s, err := sdpneg.Parse(res.Body())
		if err != nil || s.Addr != in.media.local() {
			t.Fatalf("%s answer SDP %v (%v), want media at %s", method, s, err, in.media.local())
		}
		if got := in.media.stream.Remote(); got != moved {
			t.Fatalf("%s: callee sends to %s, want %s", method, got, moved)
		}
	}

	// Outside any dialog: 481.
	stray := sip.NewRequest(sip.UPDATE, sip.Uri{Scheme: "sip", User: "1201", Host: "127.0.0.1", Port: int(agentB.Addr().Port())})
	stray.AppendHeader(&sip.ToHeader{Address: stray.Recipient, Params: sip.HeaderParams{{K: "tag", V: "nope"}}})
	res, err := agentA.do(ctx, stray)
	if err != nil || res.StatusCode != 481 {
		t.Fatalf("stray UPDATE: %v %v", res, err)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

package pbx_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// answered places a call from the raw UAC to number and returns the 200.
func (u *rawUAC) answered(t *testing.T, callID, number string) *sip.Response {
	u.invite(callID, number)
	for {
		m := u.next(5 * time.Second)
		if m == nil {
			t.Fatal("no 200 OK")
		}
		if r, ok := m.(*sip.Response); ok && r.StatusCode >= 200 {
			if r.StatusCode != 200 {
				t.Fatalf("INVITE answered %d", r.StatusCode)
			}
			return r
		}
	}
}

func (u *rawUAC) inDialog(method string, seq int, ok *sip.Response, body string) {
	tag, _ := ok.To().Params.Get("tag")
	ct := ""
	if body != "" {
		ct = "Content-Type: application/sdp\n"
	}
	u.send(fmt.Sprintf("%s sip:1001@%s SIP/2.0\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s%d;rport\nMax-Forwards: 70\n"+
		"From: <sip:1000@127.0.0.1>;tag=raw\nTo: <sip:1001@127.0.0.1>;tag=%s\nCall-ID: %s\nCSeq: %d %s\n"+
		"Contact: <sip:1000@%s>\n%sContent-Length: %d\n\n%s",
		method, u.pbx, u.addr(), method, seq, tag, ok.CallID().Value(), seqFor(method, seq), method, u.addr(), ct, len(body), body))
}

func seqFor(method string, seq int) int {
	if method == "ACK" {
		return 1
	}
	return seq
}

// finalFor waits for the final response to method.
func (u *rawUAC) finalFor(t *testing.T, method string) *sip.Response {
	for {
		m := u.next(5 * time.Second)
		if m == nil {
			t.Fatalf("no final response to %s", method)
		}
		if r, ok := m.(*sip.Response); ok && r.StatusCode >= 200 && string(r.CSeq().MethodName) == method {
			return r
		}
	}
}

// TestReINVITEIsRelayedAndByeBeforeAckIsOrdered: a re-INVITE from the caller
// reaches the callee and its answer comes back; a BYE sent before the ACK
// of the initial 200 (as sipgo's per-request goroutines can reorder them)
// still ends the call cleanly on both legs.
func TestReINVITEIsRelayedAndByeBeforeAckIsOrdered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
	}, pbxtest.Options{})
	callee := registered(ctx, t, in.Target(), phone.Config{}, "1001")["1001"]

	t.Run("re-INVITE relayed", func(t *testing.T) {
		u := newRawUAC(t, in.UDP)
		ok := u.answered(t, "reinvite-1", "1001")
		callee.nextIncoming(ctx, t)
		u.inDialog("ACK", 1, ok, "")
		offer := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=sendonly\r\n"
		u.inDialog("INVITE", 2, ok, offer)
		res := u.finalFor(t, "INVITE")
		if res.StatusCode != 200 || len(res.Body()) == 0 {
			t.Fatalf("re-INVITE answered %d with %d bytes of SDP", res.StatusCode, len(res.Body()))
		}
		u.inDialog("BYE", 3, ok, "")
		if r := u.finalFor(t, "BYE"); r.StatusCode != 200 {
			t.Fatalf("BYE answered %d", r.StatusCode)
		}
	})
	t.Run("BYE before ACK", func(t *testing.T) {
		u := newRawUAC(t, in.UDP)
		ok := u.answered(t, "byefirst-1", "1001")
		u.inDialog("BYE", 2, ok, "")
		time.Sleep(100 * time.Millisecond)
		u.inDialog("ACK", 1, ok, "")
		if r := u.finalFor(t, "BYE"); r.StatusCode != 200 {
			t.Fatalf("BYE answered %d", r.StatusCode)
		}
		if end, err := callee.nextIncoming(ctx, t).Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
			t.Fatalf("callee leg ended %+v, %v", end, err)
		}
	})
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 2 && r[0].Disposition == pbx.Answered && r[1].Disposition == pbx.Answered && r[1].Reason == "caller hung up"
	})
}

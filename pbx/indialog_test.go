package pbx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/testua"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// answered places a call from u to number and returns its transaction,
// answered 200.
func answered(ctx context.Context, t *testing.T, u *testua.UA, number string) *testua.ClientTx {
	t.Helper()
	tx, err := u.Start(u.NewInvite(number, u.Offer()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Final(ctx)
	if err != nil {
		t.Fatalf("no final response: %v", err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("INVITE answered %d", res.StatusCode)
	}
	return tx
}

// answerUntilAck answers inc with 200 and body (nil: the UA's own answer
// to the offer) and retransmits it until the PBX's ACK, in the background;
// the test fails at its end if no ACK came.
func answerUntilAck(ctx context.Context, t *testing.T, inc *testua.Incoming, body []byte) {
	t.Helper()
	res, err := inc.Answer()
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		testua.SetBody(res, "application/sdp", body)
	}
	acked := make(chan error, 1)
	go func() {
		_, err := inc.RespondUntilAck(ctx, res)
		acked <- err
	}()
	t.Cleanup(func() {
		if err := <-acked; err != nil {
			t.Errorf("no ACK for the 200 to %s: %v", inc.Request().Method, err)
		}
	})
}

// TestReINVITEIsRelayedAndByeBeforeAckIsOrdered: a re-INVITE from the caller
// reaches the callee with the caller's offer and the callee's answer comes
// back (not one the PBX made up); a BYE sent before the ACK of the initial
// 200 (as sipgo's per-request goroutines can reorder them) still ends the
// call cleanly on both legs.
func TestReINVITEIsRelayedAndByeBeforeAckIsOrdered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := startPBX(t, func(c *config.Config) {
		c.TrustedPeers = []config.TrustedPeer{{Name: "raw", Address: "127.0.0.1"}}
	}, pbxtest.Options{})
	callee := registered(ctx, t, in.Target(), phone.Config{}, "1001")["1001"]

	t.Run("re-INVITE relayed", func(t *testing.T) {
		// the callee is a test UA too, to see the re-INVITE arrive and
		// give an answer of its own
		far := newUA(t, in.UDP, "1002")
		if res, err := far.Register(ctx, testua.Registration{Password: "demo1002", Expires: 300}); err != nil || res.StatusCode != 200 {
			t.Fatalf("REGISTER 1002: %v, %v", res, err)
		}
		u := newUA(t, in.UDP, "1000")
		tx, err := u.Start(u.NewInvite("1002", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		inc, err := far.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			t.Fatal(err)
		}
		answerUntilAck(ctx, t, inc, nil)
		if res, err := tx.Final(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("INVITE answered %v, %v", res, err)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		d := tx.Dialog()
		re := d.NewRequest(sip.INVITE)
		offer := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=sendonly\r\n"
		testua.SetBody(re, "application/sdp", []byte(offer))
		rtx, err := d.Start(re)
		if err != nil {
			t.Fatal(err)
		}
		rinc, err := far.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			t.Fatalf("the re-INVITE never reached the callee: %v", err)
		}
		if got := string(rinc.Request().Body()); !strings.Contains(got, "a=sendonly") {
			t.Fatalf("the callee's re-INVITE carries %q, want the caller's sendonly offer", got)
		}
		answer := "v=0\r\no=callee 7 8 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40010 RTP/AVP 0\r\na=recvonly\r\n"
		answerUntilAck(ctx, t, rinc, []byte(answer))
		res, err := rtx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=recvonly") {
			t.Fatalf("re-INVITE answered %d with %q, want 200 with the callee's recvonly answer", res.StatusCode, res.Body())
		}
		if _, err := rtx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if r, err := d.Bye(ctx); err != nil || r.StatusCode != 200 {
			t.Fatalf("BYE answered %v, %v", r, err)
		}
		if _, err := far.AwaitIncoming(ctx, testua.Method(sip.BYE)); err != nil {
			t.Fatalf("the callee got no BYE: %v", err)
		}
	})
	t.Run("BYE before ACK", func(t *testing.T) {
		u := newUA(t, in.UDP, "1000")
		tx := answered(ctx, t, u, "1001")
		btx, err := u.Start(tx.Dialog().NewRequest(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // the PBX handles the BYE before the ACK arrives
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if r, err := btx.Final(ctx); err != nil || r.StatusCode != 200 {
			t.Fatalf("BYE answered %v, %v", r, err)
		}
		if end, err := callee.nextIncoming(ctx, t).Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
			t.Fatalf("callee leg ended %+v, %v", end, err)
		}
	})
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		return len(r) == 2 && r[0].Disposition == pbx.Answered && r[1].Disposition == pbx.Answered && r[1].Reason == "caller hung up"
	})
}

package pbx_test

import (
	"context"
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
		u := newUA(t, in.UDP, "1000")
		tx := answered(ctx, t, u, "1001")
		callee.nextIncoming(ctx, t)
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
		res, err := rtx.Final(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 || len(res.Body()) == 0 {
			t.Fatalf("re-INVITE answered %d with %d bytes of SDP", res.StatusCode, len(res.Body()))
		}
		if _, err := rtx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		if r, err := d.Bye(ctx); err != nil || r.StatusCode != 200 {
			t.Fatalf("BYE answered %v, %v", r, err)
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

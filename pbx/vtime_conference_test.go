package pbx_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// TestVirtualConferenceInDialog: a conference member's dialog goes on with
// the PBX as its far end, in virtual time: the answer to its INVITE names
// the PBX; a re-INVITE putting the room on hold (sendonly) is answered
// recvonly on the same port, the resume sendrecv; an UPDATE without SDP
// (a session refresh) and an INFO get 200; a re-INVITE without SDP gets
// the PBX's SDP as an offer; the BYE ends the call with the room as callee.
func TestVirtualConferenceInDialog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := trustingPhones()
		cfg.Conferences = []config.Conference{{Number: "800", MaxParties: 4}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		u := virtualUA(t, h, "1000")
		tx, err := u.Start(u.NewInvite("800", u.Offer()))
		if err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("INVITE to the room answered %v, %v", res, err)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		first := answerOf(t, res)
		if first.Addr.Addr() != h.Addr.Addr() || first.Direction != sdpneg.SendRecv {
			t.Fatalf("the room's answer %+v, want the PBX %s, sendrecv", first, h.Addr.Addr())
		}
		d := tx.Dialog()
		reinvite := func(body []byte) *sip.Response {
			t.Helper()
			req := d.NewRequest(sip.INVITE)
			testua.SetBody(req, "application/sdp", body)
			rtx, err := d.Start(req)
			if err != nil {
				t.Fatal(err)
			}
			res, err := rtx.Final(ctx)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("re-INVITE answered %v, %v", res, err)
			}
			if _, err := rtx.Ack(nil); err != nil {
				t.Fatal(err)
			}
			return res
		}
		for _, step := range []struct{ dir, want string }{{sdpneg.SendOnly, sdpneg.RecvOnly}, {sdpneg.SendRecv, sdpneg.SendRecv}} {
			offer := []byte(strings.Replace(string(u.Offer()), "a=sendrecv", "a="+step.dir, 1))
			got := answerOf(t, reinvite(offer))
			if got.Direction != step.want || got.Addr != first.Addr {
				t.Errorf("re-INVITE %s answered %s at %s, want %s at %s", step.dir, got.Direction, got.Addr, step.want, first.Addr)
			}
		}
		if got := answerOf(t, reinvite(nil)); got.Addr != first.Addr {
			t.Errorf("offerless re-INVITE got an offer at %s, want the room's %s", got.Addr, first.Addr)
		}
		for _, m := range []sip.RequestMethod{sip.UPDATE, sip.INFO} {
			rtx, err := d.Start(d.NewRequest(m))
			if err != nil {
				t.Fatal(err)
			}
			if res, err := rtx.Final(ctx); err != nil || res.StatusCode != 200 {
				t.Errorf("%s answered %v, %v; want 200", m, res, err)
			}
		}
		if res, err := d.Bye(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("BYE answered %v, %v", res, err)
		}
		synctest.Wait()
		recs := cdrsOf(t, h)
		if len(recs) != 1 || recs[0].Callee != "800" || recs[0].Reason != "caller hung up" {
			t.Fatalf("CDRs %+v, want one call to 800 the caller hung up", recs)
		}
	})
}

// answerOf parses the SDP of a response.
func answerOf(t *testing.T, res *sip.Response) *sdpneg.Session {
	t.Helper()
	s, err := sdpneg.Parse(res.Body())
	if err != nil {
		t.Fatalf("SDP of %d: %v\n%s", res.StatusCode, err, res.Body())
	}
	return s
}

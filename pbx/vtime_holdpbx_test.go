package pbx_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/zaf/g711"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/testua"
	"pbxlab/internal/tone"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest/vnet"
)

// A hold taken by the PBX (services.hold: the caller 1000 in pbx mode),
// in virtual time: the caller holds with a=sendonly, then a=inactive,
// then c=0.0.0.0, resuming after each; every re-INVITE is answered by the
// PBX itself (the direction mirrored), the callee is never re-INVITEd,
// hears the music on hold (the CN dial tone, 450 Hz) while held and the
// caller's 1 kHz again after each resume.
func TestVirtualHoldByPBX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := trustingPhones()
		cfg.Media.MOH = config.MOH{Tone: "dial"}
		cfg.Services.Hold = config.HoldConfig{Subscribers: map[string]config.HoldMode{"1000": "pbx"}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		callee := virtualUA(t, h, "1001")
		if res, err := callee.Register(ctx, testua.Registration{Password: "demo1001", Expires: 3600}); err != nil || res.StatusCode != 200 {
			t.Fatalf("REGISTER 1001: %v, %v", res, err)
		}
		u := virtualUA(t, h, "1000")
		rtpA, rtpB := h.Listen(""), h.Listen("")
		addrOf := func(pc net.PacketConn) netip.AddrPort { return netip.MustParseAddrPort(pc.LocalAddr().String()) }
		offer, err := sdpneg.Offer(addrOf(rtpA), []sdpneg.Codec{sdpneg.PCMU()}, 1)
		if err != nil {
			t.Fatal(err)
		}
		answerB, err := sdpneg.Offer(addrOf(rtpB), []sdpneg.Codec{sdpneg.PCMU()}, 2)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := u.Start(u.NewInvite("1001", offer))
		if err != nil {
			t.Fatal(err)
		}
		inc, err := callee.AwaitIncoming(ctx, testua.Method(sip.INVITE))
		if err != nil {
			t.Fatal(err)
		}
		ok := inc.NewResponse(200, "OK")
		testua.SetBody(ok, "application/sdp", answerB)
		if err := inc.Respond(ok); err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("INVITE: %v, %v", res, err)
		}
		if _, err := tx.Ack(nil); err != nil {
			t.Fatal(err)
		}
		toPBX, err := sdpneg.Parse(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		talking, stopTalking := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stopTalking()
		wg.Go(func() {
			gen := tone.New(1000, 8000, 0.3)
			frame := make([]int16, 160)
			pkt := make([]byte, 12+160)
			for seq := uint32(0); talking.Err() == nil; seq++ {
				gen.Fill(frame)
				pkt[0], pkt[1] = 0x80, 0
				binary.BigEndian.PutUint16(pkt[2:], uint16(seq))
				binary.BigEndian.PutUint32(pkt[4:], seq*160)
				binary.BigEndian.PutUint32(pkt[8:], talkerSSRC)
				for i, v := range frame {
					pkt[12+i] = g711.EncodeUlawFrame(v)
				}
				_, _ = rtpA.WriteTo(pkt, net.UDPAddrFromAddrPort(toPBX.Addr))
				time.Sleep(20 * time.Millisecond)
			}
		})
		dominant := func(a []int16) float64 {
			f, ok := tone.Dominant(a, 8000, []float64{1000, 450})
			if !ok {
				return 0
			}
			return f
		}
		if f := dominant(listenUntil(t, rtpB, true)); f != 1000 {
			t.Fatalf("before the hold the callee heard %g Hz, want the caller's 1000", f)
		}
		reinvite := func(body, wantDir string) {
			t.Helper()
			re := tx.Dialog().NewRequest(sip.INVITE)
			testua.SetBody(re, "application/sdp", []byte(body))
			rtx, err := u.Start(re)
			if err != nil {
				t.Fatal(err)
			}
			res, err := rtx.Final(ctx)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("re-INVITE: %v, %v", res, err)
			}
			if !strings.Contains(string(res.Body()), "a="+wantDir) {
				t.Fatalf("the PBX answered\n%s\nwant a=%s", res.Body(), wantDir)
			}
			if _, err := rtx.Ack(nil); err != nil {
				t.Fatal(err)
			}
			// the callee is not re-INVITEd: nothing reaches it in 5
			// virtual seconds
			wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
			defer wcancel()
			if inc, err := callee.AwaitIncoming(wctx, testua.Method(sip.INVITE)); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("the callee was re-INVITEd: %v, %v", inc, err)
			}
		}
		for _, hold := range []struct{ name, body, answer string }{
			{"sendonly", strings.Replace(string(offer), "a=sendrecv", "a=sendonly", 1), "recvonly"},
			{"inactive", strings.Replace(string(offer), "a=sendrecv", "a=inactive", 1), "inactive"},
			{"c=0.0.0.0", strings.Replace(string(offer), "c=IN IP4 "+addrOf(rtpA).Addr().String(), "c=IN IP4 0.0.0.0", 1), "recvonly"},
		} {
			if hold.body == string(offer) {
				t.Fatalf("%s: the hold offer is the same as the call's", hold.name)
			}
			reinvite(hold.body, hold.answer)
			if f := dominant(listenUntil(t, rtpB, false)); f != 450 {
				t.Fatalf("on hold (%s) the callee heard %g Hz, want the music on hold's 450", hold.name, f)
			}
			reinvite(string(offer), "sendrecv")
			if f := dominant(listenUntil(t, rtpB, true)); f != 1000 {
				t.Fatalf("after the resume from %s the callee heard %g Hz, want the caller's 1000", hold.name, f)
			}
		}
		stopTalking()
		if _, err := tx.Dialog().Bye(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

package pbx_test

import (
	"context"
	"encoding/binary"
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

// Music on hold in virtual time: the caller (talking at 1 kHz) holds the
// callee with a re-INVITE a=sendonly; the callee is re-INVITEd sendonly
// and hears the music on hold (here the CN dial tone, 450 Hz) in a stream
// of its own, never the caller's packets; after the resume it hears the
// caller again and no music.

const talkerSSRC = 0xa11ce

// rtpIn reads RTP on pc: the SSRC and the decoded µ-law audio of one packet.
func rtpIn(t *testing.T, pc net.PacketConn) (uint32, []int16) {
	t.Helper()
	buf := make([]byte, 2048)
	n, _, err := pc.ReadFrom(buf)
	if err != nil || n < 12 {
		t.Fatalf("rtp read: %d bytes, %v", n, err)
	}
	out := make([]int16, 0, n-12)
	for _, c := range buf[12:n] {
		out = append(out, g711.DecodeUlawFrame(c))
	}
	return binary.BigEndian.Uint32(buf[8:]), out
}

// listenUntil skips packets until one of (want) or not of (!want) the
// talker's SSRC arrives, then returns 25 packets' audio, failing if any of
// them is on the wrong side.
func listenUntil(t *testing.T, pc net.PacketConn, talker bool) []int16 {
	t.Helper()
	for i := 0; ; i++ {
		if ssrc, _ := rtpIn(t, pc); (ssrc == talkerSSRC) == talker {
			break
		}
		if i > 500 {
			t.Fatalf("no packet with talker=%v in 10 s of audio", talker)
		}
	}
	var audio []int16
	for range 25 {
		ssrc, a := rtpIn(t, pc)
		if (ssrc == talkerSSRC) != talker {
			t.Fatalf("packet of SSRC %x among the %v side's (talker %x)", ssrc, talker, talkerSSRC)
		}
		audio = append(audio, a...)
	}
	return audio
}

func TestVirtualMusicOnHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := trustingPhones()
		cfg.Media.MOH = config.MOH{Tone: "dial"}
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
		// the callee answers every INVITE with its SDP, direction dir
		answer := func(wantDir, dir string) {
			t.Helper()
			inc, err := callee.AwaitIncoming(ctx, testua.Method(sip.INVITE))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(inc.Request().Body()), "a="+wantDir) {
				t.Fatalf("the callee was offered\n%s\nwant a=%s", inc.Request().Body(), wantDir)
			}
			ok := inc.NewResponse(200, "OK")
			testua.SetBody(ok, "application/sdp", []byte(strings.Replace(string(answerB), "a=sendrecv", "a="+dir, 1)))
			if err := inc.Respond(ok); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := u.Start(u.NewInvite("1001", offer))
		if err != nil {
			t.Fatal(err)
		}
		answer("sendrecv", "sendrecv")
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
		// the caller talks at 1 kHz until the test ends
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
		reinvite := func(dir string) {
			t.Helper()
			re := tx.Dialog().NewRequest(sip.INVITE)
			testua.SetBody(re, "application/sdp", []byte(strings.Replace(string(offer), "a=sendrecv", "a="+dir, 1)))
			rtx, err := u.Start(re)
			if err != nil {
				t.Fatal(err)
			}
			if dir == "sendonly" {
				answer("sendonly", "recvonly")
			} else {
				answer("sendrecv", "sendrecv")
			}
			if res, err := rtx.Final(ctx); err != nil || res.StatusCode != 200 {
				t.Fatalf("re-INVITE %s: %v, %v", dir, res, err)
			}
			if _, err := rtx.Ack(nil); err != nil {
				t.Fatal(err)
			}
		}
		reinvite("sendonly")
		if f := dominant(listenUntil(t, rtpB, false)); f != 450 {
			t.Fatalf("on hold the callee heard %g Hz, want the music on hold's 450", f)
		}
		reinvite("sendrecv")
		if f := dominant(listenUntil(t, rtpB, true)); f != 1000 {
			t.Fatalf("after the resume the callee heard %g Hz, want the caller's 1000", f)
		}
		stopTalking()
		if _, err := tx.Dialog().Bye(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

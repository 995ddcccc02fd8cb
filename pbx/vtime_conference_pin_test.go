package pbx_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/pbxtest/vnet"
)

// pinCaller is a test UA in room 801 with an RTP socket of its own on the
// in-memory network.
type pinCaller struct {
	t      *testing.T
	ua     *testua.UA
	rtp    net.PacketConn
	pbxRTP netip.AddrPort
	ts     uint32
	seq    uint16
}

// callPINRoom calls room 801 (PIN 4711) with an offer naming the caller's
// RTP socket and ACKs the 200.
func callPINRoom(ctx context.Context, t *testing.T, h *vnet.Harness, user string) *pinCaller {
	t.Helper()
	p := &pinCaller{t: t, ua: virtualUA(t, h, user), rtp: h.Listen("")}
	local, err := netip.ParseAddrPort(p.rtp.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	offer, err := sdpneg.Offer(local, sdpneg.DefaultCodecs(), 1)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := p.ua.Start(p.ua.NewInvite("801", offer))
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Final(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("INVITE to the PIN room answered %v, %v", res, err)
	}
	if _, err := tx.Ack(nil); err != nil {
		t.Fatal(err)
	}
	p.pbxRTP = answerOf(t, res).Addr
	return p
}

// key sends digits as RFC 4733 events (payload type 101), in virtual real
// time.
func (p *pinCaller) key(digits string) {
	p.t.Helper()
	for i := range len(digits) {
		pkts, err := media.DTMFPackets(digits[i], p.ts, 100*time.Millisecond, 20*time.Millisecond, 10)
		if err != nil {
			p.t.Fatal(err)
		}
		var at time.Duration
		for _, pk := range pkts {
			time.Sleep(pk.At - at)
			at = pk.At
			b := make([]byte, 12, 16)
			b[0], b[1] = 0x80, 101
			if pk.Marker {
				b[1] |= 0x80
			}
			binary.BigEndian.PutUint16(b[2:], p.seq)
			binary.BigEndian.PutUint32(b[4:], pk.Timestamp)
			binary.BigEndian.PutUint32(b[8:], 0x4711)
			p.seq++
			if _, err := p.rtp.WriteTo(pk.Event.AppendTo(b), net.UDPAddrFromAddrPort(p.pbxRTP)); err != nil {
				p.t.Fatal(err)
			}
		}
		p.ts += 1600
	}
}

// hearsRoom reports whether an RTP packet from the PBX arrives within d.
func (p *pinCaller) hearsRoom(d time.Duration) bool {
	p.t.Helper()
	buf := make([]byte, 2048)
	_ = p.rtp.SetReadDeadline(time.Now().Add(d))
	_, _, err := p.rtp.ReadFrom(buf)
	switch {
	case err == nil:
		return true
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false
	}
	p.t.Fatal(err)
	return false
}

// TestVirtualConferencePIN: room 801 wants PIN 4711. A caller is answered
// but hears nothing of the room until it keys the PIN; keyed right (ended
// by #) it is seated and the room's audio flows. A caller who keys three
// wrong PINs is let go with a BYE and seated nowhere.
func TestVirtualConferencePIN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := trustingPhones()
		cfg.Conferences = []config.Conference{{Number: "801", MaxParties: 4, PIN: "4711"}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())

		right := callPINRoom(ctx, t, h, "1000")
		if right.hearsRoom(time.Second) {
			t.Fatal("the room's audio reached a caller who keyed no PIN")
		}
		right.key("4711#")
		if !right.hearsRoom(time.Second) {
			t.Fatal("no audio of the room after the right PIN")
		}

		wrong := callPINRoom(ctx, t, h, "1001")
		wrong.key("1234#0000#4712")
		bye, err := wrong.ua.AwaitIncoming(ctx, testua.Method(sip.BYE))
		if err != nil {
			t.Fatal(err)
		}
		if err := bye.Respond(sip.NewResponseFromRequest(bye.Request(), 200, "OK", nil)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		recs := cdrsOf(t, h)
		if len(recs) != 2 || recs[1].Reason != "conference: wrong PIN" {
			t.Fatalf("CDRs %+v, want the second call ended for a wrong PIN", recs)
		}
	})
}

// TestVirtualConferenceLateOffer: an INVITE without SDP to a room gets the
// PBX's offer in the 200; the caller's answer in its ACK says where to
// send, and the room's audio flows there.
func TestVirtualConferenceLateOffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		cfg := trustingPhones()
		cfg.Conferences = []config.Conference{{Number: "801", MaxParties: 4}}
		h := vnet.Start(t, cfg, vnet.WithSettle(synctest.Wait), vnet.WithMedia())
		p := &pinCaller{t: t, ua: virtualUA(t, h, "1000"), rtp: h.Listen("")}
		tx, err := p.ua.Start(p.ua.NewInvite("801", nil))
		if err != nil {
			t.Fatal(err)
		}
		res, err := tx.Final(ctx)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("late-offer INVITE answered %v, %v", res, err)
		}
		offer := answerOf(t, res)
		if offer.Addr.Addr() != h.Addr.Addr() || len(offer.Codecs) < 2 {
			t.Fatalf("the PBX's offer %+v, want its address and G.711", offer)
		}
		if p.hearsRoom(time.Second) {
			t.Fatal("RTP before the caller's answer said where")
		}
		local, err := netip.ParseAddrPort(p.rtp.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		ans, _, err := sdpneg.Answer(offer, local, sdpneg.DefaultCodecs(), 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Ack(ans); err != nil {
			t.Fatal(err)
		}
		if !p.hearsRoom(time.Second) {
			t.Fatal("no audio of the room at the address of the ACK's answer")
		}
		if res, err := tx.Dialog().Bye(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("BYE answered %v, %v", res, err)
		}
	})
}

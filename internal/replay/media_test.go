package replay_test

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/replay"
	"pbxlab/internal/sdpneg"
)

// withRTP rewrites a call's capture with 25 RTP packets from the
// caller's media address after its ACK, the rest of the call 100 ms later.
func withRTP(t *testing.T, path string) (string, int) {
	t.Helper()
	pkts, err := pcapio.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "rtp.pcapng")
	clk := clock.NewFake(pkts[0].Time)
	w, err := pcapio.Create(out, pcapio.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	var media, pbx netip.AddrPort // the caller's media address, the PBX's SIP address
	shift, n := time.Duration(0), 0
	for _, p := range pkts {
		if d := p.Time.Add(shift).Sub(clk.Now()); d > 0 {
			clk.Advance(d)
		}
		w.UDP(p.Src, p.Dst, p.Payload)
		m, err := sip.ParseMessage(p.Payload)
		if err != nil {
			continue
		}
		req, ok := m.(*sip.Request)
		switch {
		case !ok:
		case req.Method == sip.INVITE && len(req.Body()) > 0 && !media.IsValid():
			if ses, err := sdpneg.Parse(req.Body()); err == nil {
				media, pbx = ses.Addr, p.Dst
			}
		case req.Method == sip.ACK && req.CSeq().SeqNo == 2 && n == 0: // the ACK of the 200
			for i := range 25 {
				clk.Advance(2 * time.Millisecond)
				rtp := make([]byte, 172)
				rtp[0], rtp[3] = 0x80, byte(i)
				w.UDP(media, pbx, rtp)
				n++
			}
			shift = 100 * time.Millisecond
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no ACK of the answered INVITE in the capture")
	}
	return out, n
}

// TestReplayRTP: --rtp sends the caller's captured RTP, all of it, to the
// target's host.
func TestReplayRTP(t *testing.T) {
	capPath, n := withRTP(t, recordCall(t, false))
	fresh := startPBX(t, nil, "")
	rep := run(t, replay.Config{Capture: capPath, Target: fresh.Target(), Pace: replay.Pace{Scale: 1}, Credentials: demoCreds, RTP: true})
	if rep.RTPSent != n || len(rep.MediaNotes) != 0 || !rep.Equivalent() {
		t.Fatalf("%d RTP packets sent (notes %v), want %d; equivalent %v\n%s", rep.RTPSent, rep.MediaNotes, n, rep.Equivalent(), rep)
	}
}

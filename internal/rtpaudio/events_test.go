package rtpaudio

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"pbxlab/internal/dtmf"
	"pbxlab/internal/sdpneg"
)

// TestSendDigitsWire: digits go out as RFC 4733 events on the negotiated
// payload type, inside the audio's SSRC and sequence space: per digit the
// first packet marked, one timestamp (the audio clock at its start), the
// durations growing by a packet, three end packets; and the far stream
// decodes them back into the digits in order.
func TestSendDigitsWire(t *testing.T) {
	noLeaks(t)
	var (
		mu   sync.Mutex
		sent []rtp.Packet
	)
	tap := func(dir Dir, _, _ netip.AddrPort, b []byte) {
		var p rtp.Packet
		if dir == Out && p.Unmarshal(b) == nil {
			mu.Lock()
			sent = append(sent, p)
			mu.Unlock()
		}
	}
	te := sdpneg.Codec{PT: 96, Name: "telephone-event", Rate: 8000}
	a, b := listen(t, WithTap(tap)), listen(t)
	a.SetRemote(b.LocalAddr())
	for _, s := range []*Stream{a, b} {
		if err := s.SetEventCodec(te); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.SendDigits(ctx, "1", 0, 0); !errors.Is(err, ErrNotSending) {
		t.Fatalf("digits without a sender: %v", err)
	}
	start(t, ctx, b.Run)
	start(t, ctx, func(ctx context.Context) error { return a.Send(ctx, func(buf []int16) { clear(buf) }) })
	if !eventually(2*time.Second, func() bool { return a.sending.Load() }) {
		t.Fatal("sender did not start")
	}
	if err := a.SendDigits(ctx, "x", 0, 0); !errors.Is(err, dtmf.ErrDigit) {
		t.Fatalf("bad digit: %v", err)
	}
	if err := a.SendDigits(ctx, "5#", 100*time.Millisecond, 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got, err := b.WaitDigits(ctx, 2)
	if err != nil || got != "5#" {
		t.Fatalf("received %q, %v", got, err)
	}
	mu.Lock()
	pkts := append([]rtp.Packet(nil), sent...)
	mu.Unlock()
	var events [][]rtp.Packet
	for i, p := range pkts {
		if i > 0 && p.SequenceNumber != pkts[i-1].SequenceNumber+1 || p.SSRC != pkts[0].SSRC {
			t.Fatalf("packet %d: seq %d after %d, ssrc %x", i, p.SequenceNumber, pkts[i-1].SequenceNumber, p.SSRC)
		}
		if p.PayloadType != te.PT {
			continue
		}
		if p.Marker {
			events = append(events, nil)
		}
		if len(events) == 0 {
			t.Fatalf("event packet before a marked one: %+v", p.Header)
		}
		events[len(events)-1] = append(events[len(events)-1], p)
	}
	if len(events) != 2 {
		t.Fatalf("%d events sent, want 2", len(events))
	}
	for i, want := range []uint8{5, 11} {
		var durs []uint16
		ends := 0
		for _, p := range events[i] {
			e, err := dtmf.ParseTelephoneEvents(p.Payload)
			if err != nil || len(e) != 1 || e[0].Event != want || p.Timestamp != events[i][0].Timestamp {
				t.Fatalf("event %d packet %+v: %+v, %v", i, p.Header, e, err)
			}
			if e[0].End {
				ends++
			}
			durs = append(durs, e[0].Duration)
		}
		if len(durs) != 7 || durs[0] != 160 || durs[3] != 640 || durs[6] != 800 || ends != 3 {
			t.Fatalf("event %d durations %v, %d end packets", i, durs, ends)
		}
	}
	// The second digit starts after the first one's packets and the gap
	// (3 audio packets): its timestamp is the audio clock then.
	if d := events[1][0].Timestamp - events[0][0].Timestamp; d != 10*160 {
		t.Fatalf("second digit %d samples after the first, want %d", d, 10*160)
	}
	if st := a.Stats(); st.EventsOut != 14 {
		t.Fatalf("EventsOut %d, want 14", st.EventsOut)
	}
}

// TestSendDigitsNeedsEvents: without a telephone-event format nothing is
// sent, and a wrong format is refused.
func TestSendDigitsNeedsEvents(t *testing.T) {
	noLeaks(t)
	a := listen(t)
	if err := a.SendDigits(context.Background(), "1", 0, 0); !errors.Is(err, ErrNoEvents) {
		t.Fatalf("no event codec: %v", err)
	}
	if err := a.SetEventCodec(sdpneg.PCMU()); !errors.Is(err, ErrUnsupportedCodec) {
		t.Fatalf("PCMU as event codec: %v", err)
	}
}

// FuzzHandleEvents feeds arbitrary datagrams to a receiver that takes
// telephone-events on payload type 101: no panic, every datagram counted
// once (audio, event, ignored or malformed), and every digit it reports is
// a DTMF digit.
func FuzzHandleEvents(f *testing.F) {
	ev := func(ts uint32, e dtmf.TelephoneEvent) []byte {
		return marshal(f, pkt{ssrc: 9, pt: 101, seq: uint16(ts), ts: ts}, e.Marshal())
	}
	f.Add(ev(100, dtmf.TelephoneEvent{Event: 5, Duration: 160}))
	f.Add(ev(100, dtmf.TelephoneEvent{Event: 11, End: true, Duration: 800}))
	f.Add(marshal(f, pkt{ssrc: 9, pt: 101, seq: 1}, []byte{1, 2, 3}))
	f.Add(marshal(f, pkt{ssrc: 9, seq: 2}, make([]byte, 160)))
	s, err := Listen(loopback)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	if err := s.SetEventCodec(sdpneg.TelephoneEvent()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		before := s.Stats()
		s.handle(b, peer, time.Now())
		after := s.Stats()
		counted := (after.PacketsIn - before.PacketsIn) + (after.Ignored - before.Ignored) +
			(after.Malformed - before.Malformed) + (after.EventsIn - before.EventsIn)
		if counted != 1 {
			t.Fatalf("datagram counted %d times: %+v -> %+v", counted, before, after)
		}
		for _, d := range []byte(s.ReceivedDigits()) {
			if !strings.ContainsRune(dtmf.Digits, rune(d)) {
				t.Fatalf("digit %q", d)
			}
		}
	})
}

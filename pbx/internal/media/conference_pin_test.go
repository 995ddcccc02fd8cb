package media

import (
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/internal/memnet"
)

// keyDigits feeds the gate the RFC 4733 packets of digits, as its
// endpoint's receive path would, each digit a new event.
func keyDigits(t *testing.T, g Receiver, digits string, ts *uint32) {
	t.Helper()
	for i := range len(digits) {
		pkts, err := DTMFPackets(digits[i], *ts, 100*time.Millisecond, 20*time.Millisecond, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			g.ReceiveRTP(nil, Header{Codec: te101, Timestamp: p.Timestamp, Marker: p.Marker}, p.Event.Marshal())
		}
		*ts += 8000
	}
}

// pinRig is an endpoint waiting for a PIN; verdict is 0 until done ran
// (1 right, -1 refused), calls counts how often it ran.
type pinRig struct {
	ep             *Endpoint
	clk            *clock.Fake
	verdict, calls atomic.Int32
}

func newPINRig(t *testing.T, pin string) *pinRig {
	t.Helper()
	nw := memnet.New()
	r := &pinRig{clk: clock.NewFake(time.Unix(0, 0))}
	r.ep = NewEndpoint("pin", memPair(t, nw, netip.MustParseAddrPort("127.0.0.1:20000")))
	t.Cleanup(func() { _ = r.ep.Close() })
	AwaitPIN(r.ep, pin, r.clk, func(ok bool) {
		r.calls.Add(1)
		if ok {
			r.verdict.Store(1)
		} else {
			r.verdict.Store(-1)
		}
	})
	return r
}

func (r *pinRig) gate() Receiver { return r.ep.recv.Load().r }

// TestAwaitPIN: the right PIN, ended by # or by its length, lets the
// caller in once and unhooks the gate; a wrong one is forgiven twice, not
// three times; silence for PINTimeout refuses.
func TestAwaitPIN(t *testing.T) {
	t.Run("right with #", func(t *testing.T) {
		r := newPINRig(t, "4711")
		var ts uint32
		keyDigits(t, r.gate(), "4711#", &ts)
		if r.verdict.Load() != 1 || r.calls.Load() != 1 {
			t.Fatalf("verdict %d after %d calls, want accepted once", r.verdict.Load(), r.calls.Load())
		}
		if r.ep.recv.Load() != nil {
			t.Error("the gate is still hooked on the endpoint")
		}
	})
	t.Run("right by length after a wrong one", func(t *testing.T) {
		r := newPINRig(t, "4711")
		var ts uint32
		keyDigits(t, r.gate(), "12#", &ts)
		if r.verdict.Load() != 0 {
			t.Fatalf("one wrong PIN gave verdict %d, want another try", r.verdict.Load())
		}
		keyDigits(t, r.gate(), "4711", &ts)
		if r.verdict.Load() != 1 {
			t.Fatalf("verdict %d, want accepted", r.verdict.Load())
		}
	})
	t.Run("three wrong", func(t *testing.T) {
		r := newPINRig(t, "4711")
		var ts uint32
		g := r.gate()
		keyDigits(t, g, "1111", &ts)
		keyDigits(t, g, "2#", &ts)
		if r.verdict.Load() != 0 {
			t.Fatalf("two wrong PINs gave verdict %d, want another try", r.verdict.Load())
		}
		keyDigits(t, g, "4712", &ts)
		if r.verdict.Load() != -1 || r.calls.Load() != 1 {
			t.Fatalf("verdict %d after %d calls, want refused once", r.verdict.Load(), r.calls.Load())
		}
		keyDigits(t, g, "4711", &ts) // too late
		if r.verdict.Load() != -1 || r.calls.Load() != 1 {
			t.Fatalf("verdict %d after %d calls: a PIN after the refusal counted", r.verdict.Load(), r.calls.Load())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		r := newPINRig(t, "4711")
		r.clk.Advance(PINTimeout - time.Millisecond)
		if r.verdict.Load() != 0 {
			t.Fatal("refused before the timeout")
		}
		r.clk.Advance(time.Millisecond)
		deadline := time.Now().Add(10 * time.Second) // the clock runs f on a goroutine of its own
		for r.verdict.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if r.verdict.Load() != -1 {
			t.Fatalf("verdict %d at the timeout, want refused", r.verdict.Load())
		}
	})
}

// FuzzConferenceReceive: whatever payload arrives as G.711 or as a
// telephone-event, a room member and a PIN gate neither panic nor queue
// more than MemberQueueFrames frames.
func FuzzConferenceReceive(f *testing.F) {
	f.Add(uint8(0), []byte{0xff, 0x7f, 0x00})
	f.Add(uint8(1), make([]byte, 400))
	f.Add(uint8(2), []byte{5, 0x8a, 0x03, 0x20})
	f.Add(uint8(2), []byte{1, 2})
	f.Fuzz(func(t *testing.T, kind uint8, payload []byte) {
		codec := [...]Header{{Codec: pcmu}, {Codec: pcma}, {Codec: te101}}[kind%3]
		r := NewRoom(RoomConfig{Name: "fuzz"}, WithRoomClock(clock.NewFake(time.Unix(0, 0))))
		defer func() { _ = r.Close() }()
		m := &Member{room: r, talks: true}
		m.ReceiveRTP(nil, codec, payload)
		if m.n > MemberQueueFrames || m.np >= FrameSamples {
			t.Fatalf("queue %d frames, partial %d", m.n, m.np)
		}
		g := &pinGate{pin: "12", clock: clock.NewFake(time.Unix(0, 0)), col: NewDTMFCollector(0), done: func(bool) {},
			unhook: func() {}, timer: clock.NewFake(time.Unix(0, 0)).AfterFunc(time.Hour, func() {})}
		g.ReceiveRTP(nil, codec, payload)
	})
}

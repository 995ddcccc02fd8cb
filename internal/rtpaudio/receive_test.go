package rtpaudio

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/tone"
)

var peer = netip.MustParseAddrPort("127.0.0.1:40000")

// pkt is one synthetic arrival: header fields and the arrival offset.
type pkt struct {
	ssrc uint32
	pt   uint8
	seq  uint16
	ts   uint32
	at   time.Duration
}

func marshal(t testing.TB, p pkt, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: p.pt, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// steady returns n packets 20 ms apart starting at seq and ts.
func steady(n int, seq uint16, ts uint32) []pkt {
	out := make([]pkt, n)
	for i := range out {
		out[i] = pkt{ssrc: 7, seq: seq + uint16(i), ts: ts + uint32(160*i), at: time.Duration(i) * 20 * time.Millisecond}
	}
	return out
}

func TestReceiverStats(t *testing.T) {
	gap := steady(6, 100, 0)
	gap = append(gap[:2], gap[4:]...) // seq 102, 103 lost
	late := steady(5, 10, 0)
	late[2], late[3] = late[3], late[2] // reordered: nothing lost
	late[2].at, late[3].at = late[3].at, late[2].at
	jittery := steady(40, 0, 0)
	for i := range jittery {
		if i%2 == 1 {
			jittery[i].at += 10 * time.Millisecond // every other packet 80 ts units late
		}
	}
	tests := []struct {
		name      string
		pkts      []pkt
		in        uint64
		ignored   uint64
		lost      int64
		jitterMin float64
		jitterMax float64
	}{
		{"steady", steady(10, 1, 1000), 10, 0, 0, 0, 1e-6},
		{"gap", gap, 4, 0, 2, 0, 1e-6},
		{"sequence wrap", steady(6, 65533, math.MaxUint32-300), 6, 0, 0, 0, 1e-6},
		{"reordered", late, 5, 0, 0, 0, 100},
		{"jitter converges towards 80", jittery, 40, 0, 0, 60, 80},
		{"wrong payload type", []pkt{{ssrc: 7, pt: 8}, {ssrc: 7, pt: 101, seq: 1}}, 0, 2, 0, 0, 0},
		{"foreign ssrc while locked", []pkt{{ssrc: 7, seq: 1}, {ssrc: 9, seq: 50, at: 20 * time.Millisecond}, {ssrc: 7, seq: 2, at: 20 * time.Millisecond}}, 2, 1, 0, 0, 1e6},
		{"relock after source timeout", []pkt{{ssrc: 7, seq: 1}, {ssrc: 7, seq: 3}, {ssrc: 9, seq: 50, at: time.Second}, {ssrc: 9, seq: 51, ts: 160, at: time.Second + 20*time.Millisecond}}, 4, 0, 1, 0, 1e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := listen(t)
			t0 := time.Now()
			for _, p := range tt.pkts {
				s.handle(marshal(t, p, make([]byte, 160)), peer, t0.Add(p.at))
			}
			st := s.Stats()
			if st.PacketsIn != tt.in || st.Ignored != tt.ignored || st.Lost != tt.lost || st.Malformed != 0 {
				t.Fatalf("stats = %+v, want in %d ignored %d lost %d", st, tt.in, tt.ignored, tt.lost)
			}
			if st.Jitter < tt.jitterMin || st.Jitter > tt.jitterMax {
				t.Fatalf("jitter = %v, want in [%v, %v]", st.Jitter, tt.jitterMin, tt.jitterMax)
			}
		})
	}
}

func TestSetRemoteRelocksAtOnce(t *testing.T) {
	s := listen(t)
	now := time.Now()
	s.handle(marshal(t, pkt{ssrc: 1, seq: 1}, make([]byte, 160)), peer, now)
	s.handle(marshal(t, pkt{ssrc: 2, seq: 1}, make([]byte, 160)), peer, now)
	if st := s.Stats(); st.SSRC != 1 || st.Ignored != 1 {
		t.Fatalf("before SetRemote: %+v", st)
	}
	s.SetRemote(netip.MustParseAddrPort("127.0.0.1:40002"))
	s.handle(marshal(t, pkt{ssrc: 2, seq: 1}, make([]byte, 160)), peer, now)
	if st := s.Stats(); st.SSRC != 2 || st.PacketsIn != 2 {
		t.Fatalf("after SetRemote: %+v", st)
	}
}

func TestRecentDropsStaleAudio(t *testing.T) {
	s := listen(t, WithCodec(sdpneg.PCMA()))
	det := tone.NewDetector(tone.Config{Freq: 1400})
	g := tone.New(1400, 8000, 0.5)
	buf := make([]int16, 160)
	send := func(start time.Time, n int) {
		for i := range n {
			g.Fill(buf)
			s.handle(marshal(t, pkt{ssrc: 3, pt: 8, seq: uint16(i), ts: uint32(160 * i)}, encode(sdpneg.PCMA(), buf)), peer, start.Add(time.Duration(i)*20*time.Millisecond))
		}
	}
	send(time.Now().Add(-2*time.Second), 20) // 400 ms of tone, 2 s ago
	if got := s.Recent(400 * time.Millisecond); len(got) != 0 {
		t.Fatalf("Recent returned %d stale samples", len(got))
	}
	if s.Hears(det) {
		t.Fatal("Hears reports stale audio")
	}
	send(time.Now().Add(-390*time.Millisecond), 20)
	if got := s.Recent(time.Second); len(got) != 3200 {
		t.Fatalf("Recent(1s) = %d samples, want the 3200 fresh ones", len(got))
	}
	if got := s.Recent(100 * time.Millisecond); len(got) > 800 {
		t.Fatalf("Recent(100ms) = %d samples, want at most 800", len(got))
	}
	if r := s.Analyse(det); !r.Present {
		t.Fatalf("fresh tone not heard: %+v", r)
	}
}

// FuzzHandle feeds arbitrary datagrams to the receiver: no panic, and every
// datagram is counted exactly once as accepted, ignored or malformed.
func FuzzHandle(f *testing.F) {
	f.Add(marshal(f, pkt{ssrc: 1, seq: 1}, make([]byte, 160)))
	f.Add(marshal(f, pkt{ssrc: 1, pt: 8, seq: 1}, []byte{1, 2, 3}))
	f.Add([]byte{0x80})
	f.Add([]byte{0xb0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 0xff}) // padding + extension
	f.Add([]byte{0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1})                                           // 15 CSRCs announced
	f.Add([]byte{})
	s, err := Listen(loopback)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	f.Fuzz(func(t *testing.T, b []byte) {
		before := s.Stats()
		s.handle(b, peer, time.Now())
		after := s.Stats()
		counted := (after.PacketsIn - before.PacketsIn) + (after.Ignored - before.Ignored) + (after.Malformed - before.Malformed)
		if counted != 1 {
			t.Fatalf("datagram counted %d times: %+v -> %+v", counted, before, after)
		}
		if after.Lost < 0 || math.IsNaN(after.Jitter) || math.IsInf(after.Jitter, 0) {
			t.Fatalf("bad stats %+v", after)
		}
		_ = s.Recent(time.Second)
	})
}

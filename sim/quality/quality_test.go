package quality

import (
	"math"
	"sync"
	"testing"
	"time"

	"pbxlab/internal/emodel"
)

// stream simulates a G.711 sender (20 ms packets, timestamps +160) and
// delivers packet i after delay(i); drop(i) loses it.
type stream struct {
	ssrc    uint32
	seq0    uint16
	ts0     uint32
	epoch   time.Time
	delay   func(i int) time.Duration
	drop    func(i int) bool
	packets int
}

func (s stream) run(m *Meter, log *SendLog) {
	for i := range s.packets {
		sent := s.epoch.Add(time.Duration(i) * 20 * time.Millisecond)
		ts := s.ts0 + uint32(160*i)
		if log != nil {
			log.Record(ts, sent)
		}
		if s.drop != nil && s.drop(i) {
			continue
		}
		m.Packet(s.ssrc, s.seq0+uint16(i), ts, sent.Add(s.delay(i)))
	}
}

func constant(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}

// TestCleanCall: no loss, a constant 20 ms: no jitter, delay 20 ms exactly,
// MOS about 4.4 (G.107, see internal/emodel).
func TestCleanCall(t *testing.T) {
	log := NewSendLog(0)
	m := NewMeter(WithSendClock(log))
	stream{ssrc: 7, seq0: 100, ts0: 5000, epoch: time.Unix(100, 0), delay: constant(20 * time.Millisecond), packets: 500}.run(m, log)
	r := m.Report()
	if r.SSRC != 7 || r.Received != 500 || r.Expected != 500 || r.Lost != 0 || r.LossPercent != 0 || r.BurstR != 1 {
		t.Fatalf("%+v", r)
	}
	if r.Jitter != 0 || !r.DelayKnown || r.DelaySamples != 500 || r.DelayMean != 20*time.Millisecond || r.DelayMin != r.DelayMax {
		t.Fatalf("jitter %v delay %+v", r.Jitter, r)
	}
	near(t, "MOS", r.MOS, 4.4, 0.01)
	wantR, _ := emodel.Estimate(emodel.Call{OneWay: 20 * time.Millisecond, Codec: emodel.G711(false)})
	near(t, "R", r.R, wantR, 1e-9)
}

func TestRandomAndBurstyLoss(t *testing.T) {
	for _, tc := range []struct {
		name   string
		drop   func(int) bool
		lost   int64
		burstR float64
	}{
		{"every 100th", func(i int) bool { return i%100 == 50 }, 10, 0.99},
		{"bursts of 4", func(i int) bool { return i%200 >= 100 && i%200 < 104 }, 20, 4 * 0.98},
		{"one long gap", func(i int) bool { return i >= 300 && i < 350 }, 50, 50 * 0.95},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := NewSendLog(0)
			m := NewMeter(WithSendClock(log))
			stream{ssrc: 1, epoch: time.Unix(0, 0), delay: constant(30 * time.Millisecond), drop: tc.drop, packets: 1000}.run(m, log)
			r := m.Report()
			if r.Lost != tc.lost || r.Received != 1000-tc.lost || r.Expected != 1000 {
				t.Fatalf("lost %d of %d (received %d), want %d", r.Lost, r.Expected, r.Received, tc.lost)
			}
			near(t, "loss %", r.LossPercent, float64(tc.lost)/10, 1e-9)
			near(t, "BurstR", r.BurstR, tc.burstR, 1e-9)
			want, _ := emodel.Estimate(emodel.Call{OneWay: 30 * time.Millisecond, LossPercent: r.LossPercent, BurstR: tc.burstR, Codec: emodel.G711(false)})
			near(t, "R", r.R, want, 1e-9)
		})
	}
}

// TestJitter: delays alternating 20 and 30 ms make every |D| 10 ms (80
// units), so the RFC 3550 estimate converges on 10 ms.
func TestJitter(t *testing.T) {
	log := NewSendLog(0)
	m := NewMeter(WithSendClock(log))
	alt := func(i int) time.Duration { return time.Duration(20+10*(i%2)) * time.Millisecond }
	stream{ssrc: 1, epoch: time.Unix(0, 0), delay: alt, packets: 1000}.run(m, log)
	r := m.Report()
	near(t, "jitter ms", float64(r.Jitter)/1e6, 10, 0.01)
	if r.DelayMin != 20*time.Millisecond || r.DelayMax != 30*time.Millisecond || r.DelayMean != 25*time.Millisecond {
		t.Fatalf("delays %v %v %v", r.DelayMin, r.DelayMean, r.DelayMax)
	}
}

func TestReorderDuplicatesWrapForeign(t *testing.T) {
	m := NewMeter()
	at := time.Unix(0, 0)
	// Sequence numbers wrap: 65530 … 9, with 2 and 3 swapped, 5 twice, a
	// stranger's packet, and a packet older than the first.
	seqs := []uint16{65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 3, 2, 4, 5, 5, 6, 7, 8, 9}
	for i, s := range seqs {
		m.Packet(9, s, uint32(s)*160, at.Add(time.Duration(i)*20*time.Millisecond))
	}
	m.Packet(10, 4, 0, at)
	m.Packet(9, 65500, 0, at)
	r := m.Report()
	if r.Expected != 16 || r.Received != 16 || r.Lost != 0 || r.Duplicates != 1 || r.Foreign != 1 || r.Early != 1 {
		t.Fatalf("%+v", r)
	}
	// No send clock: delays are relative to the fastest packet.
	if r.DelayKnown || r.DelayMin != 0 || r.DelayMax < 0 {
		t.Fatalf("relative delays %+v", r)
	}
}

// TestRelativeDelay: without a send clock a constant delay looks like none,
// and a step of 40 ms shows as the variation.
func TestRelativeDelay(t *testing.T) {
	m := NewMeter(WithEndpointDelay(40 * time.Millisecond))
	step := func(i int) time.Duration {
		if i >= 50 {
			return 140 * time.Millisecond
		}
		return 100 * time.Millisecond
	}
	stream{ssrc: 1, epoch: time.Unix(0, 0), delay: step, packets: 100}.run(m, nil)
	r := m.Report()
	if r.DelayKnown || r.DelayMin != 0 || r.DelayMax != 40*time.Millisecond || r.DelayMean != 20*time.Millisecond {
		t.Fatalf("%+v", r)
	}
	// The E-model gets the endpoint delay only.
	want, _ := emodel.Estimate(emodel.Call{OneWay: 40 * time.Millisecond, Codec: emodel.G711(false)})
	near(t, "R", r.R, want, 1e-9)
}

// TestLinearClock: an RTCP-style (time, timestamp) pair measures the same
// delay as the exact log for a paced sender.
func TestLinearClock(t *testing.T) {
	epoch := time.Unix(50, 0)
	m := NewMeter(WithSendClock(LinearClock{At: epoch, TS: 1000}), WithCodec(emodel.G711(true)))
	stream{ssrc: 1, ts0: 1000, epoch: epoch, delay: constant(75 * time.Millisecond), packets: 200}.run(m, nil)
	r := m.Report()
	if r.DelayMean != 75*time.Millisecond || r.DelayMin != r.DelayMax || r.DelaySamples != 200 {
		t.Fatalf("%+v", r)
	}
	if _, ok := (LinearClock{}).SendTime(5); ok {
		t.Fatal("zero LinearClock gave a time")
	}
	if at, ok := (LinearClock{At: epoch, TS: 0xfffffff0, Rate: 8000}).SendTime(0x10); !ok || at != epoch.Add(4*time.Millisecond) {
		t.Fatalf("wrapped timestamp: %v", at)
	}
}

func TestSendLog(t *testing.T) {
	l := NewSendLog(3)
	at := time.Unix(0, 0)
	for i := range 5 {
		l.Record(uint32(i*160), at.Add(time.Duration(i)*time.Second))
	}
	l.Record(4*160, at) // a repeated timestamp keeps the first send
	for i := range 5 {
		got, ok := l.SendTime(uint32(i * 160))
		if ok != (i >= 2) || ok && got != at.Add(time.Duration(i)*time.Second) {
			t.Fatalf("ts %d: %v %v", i*160, got, ok)
		}
	}
	// Packets the log forgot (or never had: the PBX's own audio) are left
	// out of the delay figures.
	m := NewMeter(WithSendClock(l))
	m.Packet(1, 1, 160, at.Add(time.Hour))
	m.Packet(1, 2, 4*160, at.Add(4*time.Second+10*time.Millisecond))
	if r := m.Report(); r.DelaySamples != 1 || r.DelayMean != 10*time.Millisecond || r.Received != 2 {
		t.Fatalf("%+v", r)
	}
}

func TestEmptyReport(t *testing.T) {
	r := NewMeter(WithClockRate(-1)).Report()
	if r.Received != 0 || r.MOS != 0 || r.R != 0 || r.BurstR != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestConcurrentUse(t *testing.T) {
	log := NewSendLog(0)
	m := NewMeter(WithSendClock(log))
	var wg sync.WaitGroup
	wg.Go(func() {
		stream{ssrc: 1, epoch: time.Unix(0, 0), delay: constant(time.Millisecond), packets: 2000}.run(m, log)
	})
	for range 100 {
		_ = m.Report()
	}
	wg.Wait()
	if r := m.Report(); r.Received != 2000 {
		t.Fatalf("%+v", r)
	}
}

package quality

import (
	"testing"
	"time"
)

// TestRegistryDelay: a Meter with a Registry finds the sender of its
// stream by SSRC and measures the exact one-way delay; a stream no sender
// of the process claimed gets no delay samples (but loss and MOS).
func TestRegistryDelay(t *testing.T) {
	reg := NewRegistry(0)
	ssrc, log := reg.Claim()
	other, _ := reg.Claim()
	if ssrc == other || reg.Live() != 2 {
		t.Fatalf("claims %d and %d, %d live: want two distinct SSRCs", ssrc, other, reg.Live())
	}
	t0 := time.Unix(1000, 0)
	m := NewMeter(WithRegistry(reg))
	for i := range 50 {
		ts := uint32(i * 160)
		sent := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		log.Record(ts, sent)
		m.Packet(ssrc, uint16(i), ts, sent.Add(35*time.Millisecond))
	}
	r := m.Report()
	if !r.DelayKnown || r.DelaySamples != 50 || r.DelayMean != 35*time.Millisecond || r.DelayMax != 35*time.Millisecond {
		t.Fatalf("report %+v: want 50 delay samples of 35ms", r)
	}

	stranger := NewMeter(WithRegistry(reg))
	for i := range 50 {
		if i == 10 {
			continue // one lost
		}
		stranger.Packet(12345, uint16(i), uint32(i*160), t0.Add(time.Duration(i)*20*time.Millisecond))
	}
	r = stranger.Report()
	if r.DelaySamples != 0 || r.Lost != 1 || r.MOS <= 1 {
		t.Fatalf("stranger's report %+v: want no delay samples, 1 lost, a MOS", r)
	}

	reg.Release(ssrc)
	if reg.Live() != 1 {
		t.Fatalf("%d live after a release, want 1", reg.Live())
	}
}

package dtmf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestTelephoneEventWire(t *testing.T) {
	for _, tc := range []struct {
		ev   TelephoneEvent
		wire []byte
	}{
		{TelephoneEvent{Event: 5, End: true, Volume: 10, Duration: 800}, []byte{0x05, 0x8a, 0x03, 0x20}},
		{TelephoneEvent{Event: 11, Volume: 63, Duration: 160}, []byte{0x0b, 0x3f, 0x00, 0xa0}},
		{TelephoneEvent{Event: 0, Duration: 0xffff}, []byte{0x00, 0x00, 0xff, 0xff}},
	} {
		if got := tc.ev.Marshal(); !bytes.Equal(got, tc.wire) {
			t.Errorf("%+v marshals to % x, want % x", tc.ev, got, tc.wire)
		}
		evs, err := ParseTelephoneEvents(tc.wire)
		if err != nil || len(evs) != 1 || evs[0] != tc.ev {
			t.Errorf("% x parses to %+v, %v", tc.wire, evs, err)
		}
	}
	// R is ignored on receipt and never sent; volume is 6 bits.
	evs, _ := ParseTelephoneEvents([]byte{0x05, 0x4a, 0x00, 0x10})
	if evs[0].End || evs[0].Volume != 10 {
		t.Errorf("R bit leaked: %+v", evs[0])
	}
	if b := (TelephoneEvent{Volume: 0xff}).Marshal(); b[1] != 0x3f {
		t.Errorf("volume 0xff marshals flags %#x", b[1])
	}
	two, err := ParseTelephoneEvents([]byte{1, 0x80, 0, 10, 2, 0x80, 0, 20})
	if err != nil || len(two) != 2 || two[1].Event != 2 || two[1].Duration != 20 {
		t.Errorf("two blocks: %+v, %v", two, err)
	}
	for _, bad := range [][]byte{nil, {1}, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		if _, err := ParseTelephoneEvents(bad); !errors.Is(err, ErrTelephoneEvent) {
			t.Errorf("% x: %v", bad, err)
		}
	}
}

func TestDigitEventCodes(t *testing.T) {
	for code, want := range []byte("0123456789*#ABCD") {
		d, err := DigitOfEvent(uint8(code))
		if err != nil || d != want {
			t.Errorf("event %d: %q, %v", code, d, err)
		}
		e, err := EventOfDigit(want)
		if err != nil || int(e) != code {
			t.Errorf("digit %q: %d, %v", want, e, err)
		}
	}
	if e, err := EventOfDigit('c'); err != nil || e != 14 {
		t.Errorf("lower-case c: %d, %v", e, err)
	}
	for _, bad := range []byte{'E', 'e', 'x', ' ', 0} {
		if _, err := EventOfDigit(bad); !errors.Is(err, ErrDigit) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := DigitOfEvent(16); !errors.Is(err, ErrDigit) {
		t.Errorf("flash: %v", err)
	}
}

func TestPackets(t *testing.T) {
	pkts, err := Packets('5', 1000, 100*time.Millisecond, 20*time.Millisecond, DefaultVolume)
	if err != nil {
		t.Fatal(err)
	}
	var durs []uint16
	var ends int
	for i, p := range pkts {
		if p.Marker != (i == 0) || p.Timestamp != 1000 || p.Event.Event != 5 || p.Event.Volume != 10 {
			t.Fatalf("packet %d: %+v", i, p)
		}
		if p.Event.End {
			ends++
		} else if ends > 0 {
			t.Fatalf("update after an end packet: %+v", p)
		}
		if p.At != DurationOf(int(p.Event.Duration))+time.Duration(max(0, ends-1))*20*time.Millisecond {
			t.Fatalf("packet %d sent at %v for duration %d", i, p.At, p.Event.Duration)
		}
		durs = append(durs, p.Event.Duration)
	}
	if want := []uint16{160, 320, 480, 640, 800, 800, 800}; !slices.Equal(durs, want) || ends != 3 {
		t.Fatalf("durations %v (%d ends), want %v", durs, ends, want)
	}
	// Shorter than one interval: only the three end packets, the first marked.
	short, err := Packets('#', 0, 10*time.Millisecond, 20*time.Millisecond, 99)
	if err != nil || len(short) != 3 || !short[0].Marker || short[0].Event.Duration != 80 || short[0].Event.Volume != 63 {
		t.Fatalf("short digit: %+v, %v", short, err)
	}
	for _, tc := range []struct {
		digit         byte
		dur, interval time.Duration
	}{
		{'x', time.Second, 20 * time.Millisecond},
		{'1', 0, 20 * time.Millisecond},
		{'1', time.Second, 0},
		{'1', MaxDuration + time.Millisecond, 20 * time.Millisecond},
	} {
		if _, err := Packets(tc.digit, 0, tc.dur, tc.interval, 10); err == nil {
			t.Errorf("%+v accepted", tc)
		}
	}
}

// rx is one received telephone-event packet in a collector test.
type rx struct {
	ts   uint32
	blk  []TelephoneEvent
	at   time.Duration // arrival, from the test's epoch
	tick bool          // instead of a packet: a Tick at `at`
}

func pkt(ts uint32, at time.Duration, blocks ...TelephoneEvent) rx {
	return rx{ts: ts, blk: blocks, at: at}
}

func ev(code uint8, dur uint16, end bool) TelephoneEvent {
	return TelephoneEvent{Event: code, Duration: dur, End: end, Volume: 10}
}

func ms8(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestCollector(t *testing.T) {
	epoch := time.Unix(1000, 0)
	// A normal digit '5' at ts 100: updates then three end packets.
	five := []rx{
		pkt(100, ms8(0), ev(5, 160, false)), pkt(100, ms8(20), ev(5, 320, false)), pkt(100, ms8(40), ev(5, 480, false)),
		pkt(100, ms8(60), ev(5, 640, true)), pkt(100, ms8(80), ev(5, 640, true)), pkt(100, ms8(100), ev(5, 640, true)),
	}
	cases := []struct {
		name string
		in   []rx
		want []Digit
	}{
		{"normal", five, []Digit{{'5', 100, ms8(80), EndBit}}},
		{"first packets lost", five[2:], []Digit{{'5', 100, ms8(80), EndBit}}},
		{"only one end packet", five[4:5], []Digit{{'5', 100, ms8(80), EndBit}}},
		{"late update after the end", append(slices.Clone(five[:4]), pkt(100, ms8(70), ev(5, 480, false))), []Digit{{'5', 100, ms8(80), EndBit}}},
		{"ends lost, next digit starts", append(slices.Clone(five[:3]), pkt(2000, ms8(300), ev(1, 160, false)), pkt(2000, ms8(320), ev(1, 320, true))),
			[]Digit{{'5', 100, ms8(60), EndNext}, {'1', 2000, ms8(40), EndBit}}},
		{"ends lost, timeout", append(slices.Clone(five[:3]), rx{at: ms8(40) + DefaultTimeout - 1, tick: true}, rx{at: ms8(40) + DefaultTimeout, tick: true}),
			[]Digit{{'5', 100, ms8(60), EndTimer}}},
		{"tick without a digit", []rx{{at: time.Hour, tick: true}}, nil},
		{"older event arrives late", append(slices.Clone(five), pkt(50, ms8(120), ev(9, 800, true))), []Digit{{'5', 100, ms8(80), EndBit}}},
		{"flash is not a digit", []rx{pkt(10, 0, ev(16, 800, true))}, nil},
		{"same digit twice", append(slices.Clone(five), pkt(900, ms8(300), ev(5, 640, true)), pkt(900, ms8(320), ev(5, 640, true))),
			[]Digit{{'5', 100, ms8(80), EndBit}, {'5', 900, ms8(80), EndBit}}},
		{"packed events", []rx{pkt(500, 0, ev(1, 800, true), ev(2, 400, true))},
			[]Digit{{'1', 500, ms8(100), EndBit}, {'2', 1300, ms8(50), EndBit}}},
		{"long event segmented", []rx{
			pkt(10, 0, ev(0, 60000, false)), pkt(10, ms8(8000), ev(0, 0xffff, false)),
			pkt(10+0xffff, ms8(8200), ev(0, 1600, false)), pkt(10+0xffff, ms8(8400), ev(0, 3200, true)),
			pkt(10, ms8(8410), ev(0, 0xffff, false)), // a late packet of the first segment
		}, []Digit{{'0', 10, DurationOf(0xffff + 3200), EndBit}}},
		{"timestamp wraps", []rx{pkt(0xffffff00, 0, ev(3, 800, true)), pkt(0x100, ms8(200), ev(4, 800, true))},
			[]Digit{{'3', 0xffffff00, ms8(100), EndBit}, {'4', 0x100, ms8(100), EndBit}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCollector(0)
			var got []Digit
			for _, r := range tc.in {
				if r.tick {
					got = append(got, c.Tick(epoch.Add(r.at))...)
					continue
				}
				var payload []byte
				for _, b := range r.blk {
					payload = b.AppendTo(payload)
				}
				ds, err := c.Packet(r.ts, payload, epoch.Add(r.at))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ds...)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestDTMFRoundTrip: a digit string sent with Packets (each digit 100 ms,
// 60 ms apart) comes out of the collector, even with every packet doubled
// and every third one lost.
func TestDTMFRoundTrip(t *testing.T) {
	epoch := time.Unix(0, 0)
	const digits = "0123456789*#ABCD"
	c := NewCollector(0)
	var got []byte
	ts := uint32(12345)
	at := time.Duration(0)
	n := 0
	for i := range len(digits) {
		pkts, err := Packets(digits[i], ts, 100*time.Millisecond, 20*time.Millisecond, DefaultVolume)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			n++
			if n%3 == 0 {
				continue
			}
			for range 2 {
				ds, err := c.Packet(p.Timestamp, p.Event.Marshal(), epoch.Add(at+p.At))
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range ds {
					got = append(got, d.Digit)
				}
			}
		}
		ts += uint32(Samples(160 * time.Millisecond))
		at += 160 * time.Millisecond
	}
	for _, d := range c.Tick(epoch.Add(at + time.Hour)) {
		got = append(got, d.Digit)
	}
	if string(got) != digits {
		t.Fatalf("received %q, want %q", got, digits)
	}
	c.Reset()
	if ds, _ := c.Packet(12345, ev(7, 800, true).Marshal(), epoch); len(ds) != 1 || ds[0].Digit != '7' {
		t.Fatalf("after Reset, a reused timestamp is a new digit: %+v", ds)
	}
	if _, err := c.Packet(1, []byte{1, 2}, epoch); !errors.Is(err, ErrTelephoneEvent) {
		t.Fatalf("bad payload: %v", err)
	}
}

// FuzzTelephoneEvents: arbitrary payloads and packet sequences never panic;
// the collector reports only DTMF digits, at most one per event start seen,
// and re-encoding what parses gives the same bytes (R bit aside).
func FuzzTelephoneEvents(f *testing.F) {
	f.Add([]byte{0x05, 0x8a, 0x03, 0x20})
	f.Add([]byte{0x00, 0x00, 0x00, 0xa0, 0x00, 0x80, 0x03, 0x20, 0x01, 0x80, 0x01, 0x40})
	f.Add([]byte{0x10, 0xff, 0xff, 0xff, 0x0b})
	f.Fuzz(func(t *testing.T, b []byte) {
		if evs, err := ParseTelephoneEvents(b); err == nil {
			var re []byte
			for _, e := range evs {
				re = e.AppendTo(re)
			}
			for i := range b {
				mask := byte(0xff)
				if i%4 == 1 {
					mask = 0xbf // R
				}
				if re[i] != b[i]&mask {
					t.Fatalf("re-encoded % x from % x", re, b)
				}
			}
		}
		// Read b as a sequence of packets: 4-byte timestamp, 1-byte arrival
		// step (ms), 1-byte length, payload.
		c := NewCollector(0)
		now := time.Unix(0, 0)
		starts := map[uint32]bool{}
		var got []Digit
		for len(b) >= 6 {
			ts := binary.BigEndian.Uint32(b)
			now = now.Add(time.Duration(b[4]) * time.Millisecond)
			n := min(int(b[5]), len(b)-6)
			payload := b[6 : 6+n]
			b = b[6+n:]
			ds, err := c.Packet(ts, payload, now)
			if evs, perr := ParseTelephoneEvents(payload); perr == nil {
				at := ts
				for _, e := range evs {
					starts[at] = true
					at += uint32(e.Duration)
				}
			} else if err == nil {
				t.Fatal("collector accepted an invalid payload")
			}
			got = append(got, ds...)
			got = append(got, c.Tick(now)...)
		}
		for _, d := range got {
			if _, err := EventOfDigit(d.Digit); err != nil || !starts[d.Start] {
				t.Fatalf("digit %+v (starts seen %v)", d, starts)
			}
		}
		if len(got) > len(starts) {
			t.Fatalf("%d digits from %d event starts", len(got), len(starts))
		}
	})
}

// FuzzParseDTMFInfo: arbitrary content types and bodies never panic, and a

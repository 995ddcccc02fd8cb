// Package dtmf is the RFC 4733 telephone-event codec that the PBX's media
// server and the simulated phones share: the 4-byte event block (marshal,
// parse), DTMF digits and their event codes, the packet sequence that sends
// one digit, and a collector that turns received packets back into digits.
// Pure functions and a single-goroutine collector; no I/O.
package dtmf

import (
	"encoding/binary"
	"fmt"
	"time"
)

// SampleRate is the telephone-event clock rate (telephone-event/8000).
const SampleRate = 8000

// Samples returns how many samples last d at 8 kHz, rounded to the nearest
// sample; negative durations give 0.
func Samples(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d*SampleRate + time.Second/2) / time.Second)
}

// DurationOf returns how long n samples last at 8 kHz.
func DurationOf(n int) time.Duration {
	return time.Duration(n) * time.Second / SampleRate
}

// RFC 4733 telephone-event payload (RTP "telephone-event/8000").
//
// Each event block is 4 bytes (§2.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	|     event     |E|R| volume    |          duration             |
//
// event: 0-9 the digits, 10 '*', 11 '#', 12-15 'A'-'D' (§3.2), 16 flash,
// others defined elsewhere; E: the event has ended; R: reserved, sent as
// zero, ignored on receipt; volume: the tone's power, 0 to 63 meaning
// 0 to -63 dBm0; duration: how long the event has lasted so far, in
// timestamp units (8 kHz), counted from the RTP timestamp, which is the
// event's start and stays the same in every packet of the event (§2.5.1).
//
// A sender marks the first packet of an event, sends an update every packet
// interval with the duration so far, and sends the final packet (E set,
// final duration) three times (§2.5.1.4); a receiver must therefore
// deduplicate by timestamp and survive lost packets of any kind.

// TelephoneEventSize is the size of one event block.
const TelephoneEventSize = 4

// DefaultVolume is the volume senders use: -10 dBm0 (a typical DTMF
// level; RFC 4733 §2.3.4 leaves it to the sender).
const DefaultVolume = 10

// TelephoneEvent is one RFC 4733 event block.
type TelephoneEvent struct {
	Event    uint8  // event code: 0-15 DTMF (see DigitOfEvent)
	End      bool   // E bit
	Volume   uint8  // 0-63, the level in -dBm0
	Duration uint16 // in 8 kHz timestamp units
}

// AppendTo appends the 4-byte block to b (R is zero, volume masked to 6 bits).
func (e TelephoneEvent) AppendTo(b []byte) []byte {
	flags := e.Volume & 0x3f
	if e.End {
		flags |= 0x80
	}
	b = append(b, e.Event, flags)
	return binary.BigEndian.AppendUint16(b, e.Duration)
}

// Marshal returns the 4-byte block.
func (e TelephoneEvent) Marshal() []byte { return e.AppendTo(make([]byte, 0, TelephoneEventSize)) }

// ParseTelephoneEvents decodes an RTP telephone-event payload: one or more
// 4-byte blocks (§2.5.1.5 allows several consecutive events in one packet).
// An empty payload or one that is not a multiple of 4 bytes is refused with
// ErrTelephoneEvent. The R bit is ignored.
func ParseTelephoneEvents(payload []byte) ([]TelephoneEvent, error) {
	if len(payload) == 0 || len(payload)%TelephoneEventSize != 0 {
		return nil, fmt.Errorf("parse telephone-event: %d bytes: %w", len(payload), ErrTelephoneEvent)
	}
	out := make([]TelephoneEvent, 0, len(payload)/TelephoneEventSize)
	for b := payload; len(b) > 0; b = b[TelephoneEventSize:] {
		out = append(out, TelephoneEvent{
			Event: b[0], End: b[1]&0x80 != 0, Volume: b[1] & 0x3f, Duration: binary.BigEndian.Uint16(b[2:]),
		})
	}
	return out, nil
}

// Digits is the character of each DTMF event code 0-15 (RFC 4733 §3.2).
const Digits = "0123456789*#ABCD"

// DigitOfEvent returns the DTMF character of an event code 0-15.
func DigitOfEvent(event uint8) (byte, error) {
	if int(event) >= len(Digits) {
		return 0, fmt.Errorf("event %d: %w", event, ErrDigit)
	}
	return Digits[event], nil
}

// EventOfDigit returns the event code of a DTMF character: 0-9, *, #, A-D
// (a-d accepted).
func EventOfDigit(d byte) (uint8, error) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for i := range len(Digits) {
		if Digits[i] == d {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("digit %q: %w", d, ErrDigit)
}

// Packet is one RTP packet of a digit, for the RTP core to send with
// its own SSRC, sequence number and the negotiated telephone-event payload
// type.
type Packet struct {
	Marker    bool           // RTP marker: the first packet of the event
	Timestamp uint32         // RTP timestamp: the event's start, the same in every packet
	At        time.Duration  // when to send it, from the event's start
	Event     TelephoneEvent // the payload (Event.Marshal)
}

// MaxDuration is the longest digit Packets sends: the duration
// field's range (65535 units at 8 kHz), so no event needs segmenting.
const MaxDuration = 65535 * time.Second / SampleRate

// Packets returns the packets that send one digit lasting duration
// from RTP timestamp start, with an update every interval (the audio
// packetisation, 20 ms usually; at most 50 ms, RFC 4733 §2.5.1.2): updates
// with the duration so far at interval, 2·interval, …, the first one
// marked, then the final packet (E set, the whole duration) three times,
// an interval apart. duration is rounded to whole samples.
func Packets(digit byte, start uint32, duration, interval time.Duration, volume uint8) ([]Packet, error) {
	ev, err := EventOfDigit(digit)
	if err != nil {
		return nil, fmt.Errorf("dtmf packets: %w", err)
	}
	total, step := Samples(duration), Samples(interval)
	switch {
	case step <= 0:
		return nil, fmt.Errorf("dtmf packets: interval %v: %w", interval, ErrTelephoneEvent)
	case total <= 0 || duration > MaxDuration:
		return nil, fmt.Errorf("dtmf packets: duration %v (0 < d <= %v): %w", duration, MaxDuration, ErrTelephoneEvent)
	}
	vol := min(volume, 63)
	var out []Packet
	for d := step; d < total; d += step {
		out = append(out, Packet{Timestamp: start, At: DurationOf(d),
			Event: TelephoneEvent{Event: ev, Volume: vol, Duration: uint16(d)}})
	}
	for i := range 3 {
		out = append(out, Packet{Timestamp: start, At: DurationOf(total + i*step),
			Event: TelephoneEvent{Event: ev, End: true, Volume: vol, Duration: uint16(total)}})
	}
	out[0].Marker = true
	return out, nil
}

// DigitEnd says how the collector knew a digit was over.
type DigitEnd uint8

// How a digit ended.
const (
	EndBit   DigitEnd = iota + 1 // an end packet (E bit) arrived
	EndNext                      // a new event started before any end packet arrived
	EndTimer                     // no packet for the collector's timeout (every end packet lost)
)

// String names the reason.
func (e DigitEnd) String() string {
	switch e {
	case EndBit:
		return "end bit"
	case EndNext:
		return "next event"
	case EndTimer:
		return "timeout"
	}
	return "unknown"
}

// Digit is one DTMF digit received.
type Digit struct {
	Digit    byte          // '0'-'9', '*', '#', 'A'-'D'
	Start    uint32        // the event's RTP timestamp
	Duration time.Duration // the longest duration its packets announced
	End      DigitEnd
}

// DefaultTimeout is how long Collector waits for a packet of the
// current event before it takes the digit as ended: updates come every
// packet interval (at most 50 ms apart, RFC 4733 §2.5.1.2), so 300 ms
// without one means the end packets were lost.
const DefaultTimeout = 300 * time.Millisecond

// recentEvents is how many finished event timestamps the collector keeps
// to drop their retransmissions.
const recentEvents = 16

// Collector turns the telephone-event packets of one RTP stream (one
// SSRC) into digits, each reported once, when it ends: at its first end
// packet, when a new event starts (its end packets lost), or by Tick after
// the timeout (everything after its last update lost). Retransmitted and
// late packets of finished events (same RTP timestamp) are dropped, as are
// packets older than the current event. An event longer than the duration
// field (RFC 4733 §2.5.1.3: a 0xFFFF segment followed by one with a
// timestamp 0xFFFF later) stays one digit. Events that are not DTMF
// (flash, …) are ignored. Not safe for concurrent use: the receive path of
// the stream drives it.
type Collector struct {
	timeout time.Duration
	cur     *dtmfEvent
	recent  [recentEvents]uint32
	nrecent int
	newest  uint32 // timestamp of the latest event started
	seen    bool   // newest is set
}

type dtmfEvent struct {
	ts       uint32 // RTP timestamp of the current segment
	start    uint32 // of the first segment
	code     uint8
	base     int // samples of earlier segments of a long event
	duration int // samples of the current segment
	last     time.Time
}

// NewCollector returns a collector; timeout <= 0 means DefaultTimeout.
func NewCollector(timeout time.Duration) *Collector {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Collector{timeout: timeout}
}

// Reset forgets every event (the stream changed SSRC).
func (c *Collector) Reset() { *c = Collector{timeout: c.timeout} }

// Packet handles one telephone-event RTP packet (its timestamp and payload)
// that arrived at now, and returns the digits it completed.
func (c *Collector) Packet(ts uint32, payload []byte, now time.Time) ([]Digit, error) {
	evs, err := ParseTelephoneEvents(payload)
	if err != nil {
		return nil, err
	}
	var out []Digit
	for _, ev := range evs {
		out = c.block(ts, ev, now, out)
		// §2.5.1.5: each packed event starts where the previous one ended.
		ts += uint32(ev.Duration)
	}
	return out, nil
}

func (c *Collector) block(ts uint32, ev TelephoneEvent, now time.Time, out []Digit) []Digit {
	switch {
	case ev.Event >= uint8(len(Digits)) || c.finished(ts):
		return out
	case c.seen && int32(ts-c.newest) < 0:
		return out // older than the latest event: late, its digit is gone
	}
	c.newest, c.seen = ts, true
	if cur := c.cur; cur != nil && ts != cur.ts {
		switch {
		case ev.Event == cur.code && cur.duration == 0xFFFF && ts == cur.ts+0xFFFF:
			// The next segment of a long event (§2.5.1.3).
			c.remember(cur.ts)
			cur.base += cur.duration
			cur.ts, cur.duration = ts, 0
		default:
			out = c.finish(EndNext, out)
		}
	}
	if c.cur == nil {
		c.cur = &dtmfEvent{ts: ts, start: ts, code: ev.Event}
	}
	c.cur.duration = max(c.cur.duration, int(ev.Duration))
	c.cur.last = now
	if ev.End {
		out = c.finish(EndBit, out)
	}
	return out
}

// Tick reports the current digit if no packet of it came for the timeout.
// Call it periodically (every packet interval, or from a timer).
func (c *Collector) Tick(now time.Time) []Digit {
	if c.cur == nil || now.Sub(c.cur.last) < c.timeout {
		return nil
	}
	return c.finish(EndTimer, nil)
}

func (c *Collector) finish(how DigitEnd, out []Digit) []Digit {
	cur := c.cur
	c.cur = nil
	c.remember(cur.ts)
	d, _ := DigitOfEvent(cur.code)
	return append(out, Digit{Digit: d, Start: cur.start, Duration: DurationOf(cur.base + cur.duration), End: how})
}

func (c *Collector) remember(ts uint32) {
	c.recent[c.nrecent%recentEvents] = ts
	c.nrecent++
}

func (c *Collector) finished(ts uint32) bool {
	for i := range min(c.nrecent, recentEvents) {
		if c.recent[i] == ts {
			return true
		}
	}
	return false
}

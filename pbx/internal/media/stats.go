package media

import (
	"math"
	"net/netip"
	"sync/atomic"
	"time"
)

// Stats are an endpoint's counters: what its leg sent (In) and what the
// PBX sent to the leg (Out), and why packets were dropped.
type Stats struct {
	PacketsIn, BytesIn   uint64 // accepted RTP from the leg (payload octets)
	PacketsOut, BytesOut uint64 // RTP sent to the leg (payload octets)
	RTCPIn, RTCPOut      uint64
	// Malformed: datagrams that are not RTP/RTCP version 2, are truncated,
	// or are oversized.
	Malformed uint64
	// WrongPT: RTP with a payload type not negotiated with the leg (or
	// before any was).
	WrongPT uint64
	// Strangers: packets from a source other than the latched one.
	Strangers uint64
	// Unrouted: accepted RTP with nowhere to go (no far leg yet, the far
	// leg takes no media or not that codec, a Player owns the stream).
	Unrouted   uint64
	SendErrors uint64
	// Lost is the cumulative number of packets lost (RFC 3550 A.3) of the
	// current source; Jitter its interarrival jitter (RFC 3550 A.8).
	Lost   int64
	Jitter time.Duration
	SSRC   uint32
	// SSRCChanges counts new sources from the latched address; Relatches
	// new addresses taken over after the latched one went silent.
	SSRCChanges, Relatches uint64
	// Latched is the address the leg's RTP comes from (invalid: none yet).
	Latched netip.AddrPort
	// LastRTP is when the last RTP packet was accepted (zero: none).
	LastRTP time.Time
}

type inStats struct {
	packets, bytes, rtcp             atomic.Uint64
	malformed, wrongPT, strangers    atomic.Uint64
	unrouted, ssrcChanges, relatches atomic.Uint64
	lost                             atomic.Int64
	jitter                           atomic.Uint64 // float64 bits, timestamp units
	ssrc                             atomic.Uint32
	latched                          atomic.Pointer[netip.AddrPort]
	_                                [64]byte // keep the sender's counters off this cache line
}

type outStats struct {
	packets, bytes, rtcp, errors atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (e *Endpoint) Stats() Stats {
	st := Stats{
		PacketsIn: e.in.packets.Load(), BytesIn: e.in.bytes.Load(), RTCPIn: e.in.rtcp.Load(),
		PacketsOut: e.out.packets.Load(), BytesOut: e.out.bytes.Load(), RTCPOut: e.out.rtcp.Load(),
		Malformed: e.in.malformed.Load(), WrongPT: e.in.wrongPT.Load(), Strangers: e.in.strangers.Load(),
		Unrouted: e.in.unrouted.Load(), SendErrors: e.out.errors.Load(),
		Lost: e.in.lost.Load(), SSRC: e.in.ssrc.Load(),
		SSRCChanges: e.in.ssrcChanges.Load(), Relatches: e.in.relatches.Load(),
	}
	st.Jitter = time.Duration(math.Float64frombits(e.in.jitter.Load()) / 8000 * float64(time.Second))
	if l := e.in.latched.Load(); l != nil {
		st.Latched = *l
	}
	if t := e.lastRTP.Load(); t != 0 {
		st.LastRTP = time.Unix(0, t)
	}
	return st
}

// rxState follows the latched source (RFC 3550 A.1, A.3, A.8); it is owned
// by the RTP receive loop. All codecs the PBX relays have an 8 kHz RTP
// clock, so jitter is in 1/8000 s units.
type rxState struct {
	latched bool
	src     netip.AddrPort
	ssrc    uint32

	started  bool
	baseSeq  uint32
	maxSeq   uint16
	cycles   uint32
	received int64
	lastAt   time.Time // arrival of the last packet
	lastTS   uint32    // timestamp of the last audio packet
	audioAt  time.Time // arrival of the last audio packet
	jitter   float64
}

// newSource restarts the sequence and jitter state for a new SSRC.
func (r *rxState) newSource(ssrc uint32) {
	r.ssrc = ssrc
	r.started = false
	r.received = 0
	r.jitter = 0
	r.audioAt = time.Time{}
}

// update records an accepted packet. Telephone events share the stream's
// sequence numbers but not its timestamps (an event's timestamp is its
// start), so only audio packets feed the jitter.
func (r *rxState) update(h rtpHeader, id codecID, at time.Time) {
	r.lastAt = at
	if !r.started {
		r.started = true
		r.baseSeq, r.maxSeq, r.cycles, r.received = uint32(h.seq), h.seq, 0, 1
	} else {
		r.received++
		if delta := h.seq - r.maxSeq; delta != 0 && delta < 0x8000 {
			if h.seq < r.maxSeq {
				r.cycles += 1 << 16
			}
			r.maxSeq = h.seq
		}
	}
	if !id.isAudio() {
		return
	}
	if !r.audioAt.IsZero() {
		// RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16
		d := at.Sub(r.audioAt).Seconds()*8000 - float64(int32(h.ts-r.lastTS))
		r.jitter += (math.Abs(d) - r.jitter) / 16
	}
	r.audioAt, r.lastTS = at, h.ts
}

// lost is expected minus received, never negative (duplicates).
func (r *rxState) lost() int64 {
	if !r.started {
		return 0
	}
	expected := int64(r.cycles) + int64(r.maxSeq) - int64(r.baseSeq) + 1
	return max(0, expected-r.received)
}

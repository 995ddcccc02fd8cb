package rtpaudio

import (
	"net/netip"
	"time"
)

// Stats are the counters of a Stream.
type Stats struct {
	PacketsIn  uint64 // accepted RTP packets
	PacketsOut uint64
	BytesIn    uint64 // RTP payload octets received (RFC 3550 §6.4.1 octet count)
	BytesOut   uint64 // RTP payload octets sent
	Malformed  uint64 // datagrams that are not RTP version 2
	Ignored    uint64 // RTP with another payload type or from a foreign SSRC
	SendErrors uint64
	// EventsIn and EventsOut count telephone-event (DTMF) packets, kept
	// out of the audio counters.
	EventsIn, EventsOut uint64
	// Lost is the cumulative number of packets lost, from sequence gaps
	// (RFC 3550 A.3), never negative.
	Lost int64
	// Jitter is the interarrival jitter estimate (RFC 3550 A.8) in timestamp units.
	Jitter float64
	SSRC   uint32 // the source the receiver is locked on
	// LastSource is the address of the last accepted packet.
	LastSource netip.AddrPort
	// LastPacket is when the last packet was accepted, on the Stream's clock.
	LastPacket time.Time
}

// JitterDuration is Jitter converted to time at the 8 kHz G.711 clock.
func (st Stats) JitterDuration() time.Duration {
	return time.Duration(st.Jitter / 8000 * float64(time.Second))
}

// Stats returns a snapshot of the counters.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Lost = s.rx.lost()
	st.Jitter = s.rx.jitter
	st.SSRC = s.rx.ssrc
	return st
}

// rxState follows one source (RFC 3550 A.1, A.3, A.8). Losses of earlier
// sources are kept in lostBefore when the receiver locks on to a new one.
type rxState struct {
	locked     bool
	ssrc       uint32
	baseSeq    uint32
	maxSeq     uint16
	cycles     uint32
	received   int64
	lostBefore int64
	lastAt     time.Time // arrival of the last accepted packet (real time)
	lastTS     uint32
	jitter     float64
}

func (r *rxState) lost() int64 {
	if !r.locked {
		return r.lostBefore
	}
	expected := int64(r.cycles) + int64(r.maxSeq) - int64(r.baseSeq) + 1
	return r.lostBefore + max(0, expected-r.received)
}

func (r *rxState) unlock() {
	r.lostBefore = r.lost()
	r.locked = false
}

// accept decides whether a packet of ssrc belongs to the followed source,
// switching source when the old one has been silent for timeout.
func (r *rxState) accept(ssrc uint32, at time.Time, timeout time.Duration) bool {
	if r.locked && ssrc != r.ssrc && at.Sub(r.lastAt) > timeout {
		r.unlock()
	}
	return !r.locked || ssrc == r.ssrc
}

// update records an accepted packet.
func (r *rxState) update(ssrc uint32, seq uint16, ts uint32, at time.Time) {
	if !r.locked {
		*r = rxState{locked: true, ssrc: ssrc, baseSeq: uint32(seq), maxSeq: seq,
			lostBefore: r.lostBefore, lastAt: at, lastTS: ts}
		r.received = 1
		return
	}
	r.received++
	if delta := seq - r.maxSeq; delta != 0 && delta < 0x8000 {
		if seq < r.maxSeq {
			r.cycles += 1 << 16 // sequence number wrapped
		}
		r.maxSeq = seq
	}
	// RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16.
	d := at.Sub(r.lastAt).Seconds()*8000 - float64(int32(ts-r.lastTS))
	if d < 0 {
		d = -d
	}
	r.jitter += (d - r.jitter) / 16
	r.lastAt, r.lastTS = at, ts
}

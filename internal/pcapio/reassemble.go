package pcapio

import (
	"bytes"
	"net/netip"
)

// maxHeld is how many segments after a gap one direction holds back before
// giving up on the missing bytes and moving on.
const maxHeld = 64

// rxSegment is one TCP segment read from a capture.
type rxSegment struct {
	seq      uint32
	syn, fin bool
	pkt      Packet // Payload still aliases the frame
}

type direction struct{ src, dst netip.AddrPort }

// stream is one direction of a TCP connection being put in order.
type stream struct {
	next uint32 // sequence number of the next byte to emit
	held []rxSegment
}

// assembler puts each direction's TCP payloads in sequence order (RFC 9293
// §3.4 sequence arithmetic, modulo 2^32), dropping retransmitted bytes and
// empty segments. Without a SYN, a direction starts at its first segment.
type assembler struct {
	emit    func(Packet)
	streams map[direction]*stream
	order   []direction // first-seen order, so flush is deterministic
}

func newAssembler(emit func(Packet)) *assembler {
	return &assembler{emit: emit, streams: make(map[direction]*stream)}
}

func (a *assembler) add(seg rxSegment) {
	dir := direction{seg.pkt.Src, seg.pkt.Dst}
	s, ok := a.streams[dir]
	if !ok {
		a.order = append(a.order, dir)
	}
	switch {
	case seg.syn:
		// A SYN (re)starts the direction; its data begins after the SYN.
		if ok {
			a.drain(s, true)
		}
		seg.seq++
		s = &stream{next: seg.seq}
		a.streams[dir] = s
	case !ok:
		s = &stream{next: seg.seq}
		a.streams[dir] = s
	}
	if len(seg.pkt.Payload) == 0 && !seg.fin {
		return
	}
	a.offer(s, seg)
	a.drain(s, false)
	if len(s.held) > maxHeld {
		a.drain(s, true)
	}
}

// offer emits the part of seg at or after s.next if seg starts at or before
// it, and holds seg back if it starts after.
func (a *assembler) offer(s *stream, seg rxSegment) {
	ahead := int32(seg.seq - s.next)
	if ahead > 0 {
		s.held = append(s.held, seg)
		return
	}
	payload := seg.pkt.Payload
	if behind := uint32(-ahead); behind > 0 {
		if int64(behind) >= int64(len(payload)) {
			// Entirely retransmitted (a FIN's sequence number is consumed).
			if seg.fin && int64(behind) == int64(len(payload)) {
				s.next++
			}
			return
		}
		payload = payload[behind:]
	}
	if len(payload) > 0 {
		p := seg.pkt
		p.Payload = bytes.Clone(payload)
		a.emit(p)
		s.next += uint32(len(payload))
	}
	if seg.fin {
		s.next++
	}
}

// drain emits held segments that have become due. With skipGap, missing
// bytes are given up on: held segments are emitted in sequence order.
func (a *assembler) drain(s *stream, skipGap bool) {
	for len(s.held) > 0 {
		i := s.earliest()
		if int32(s.held[i].seq-s.next) > 0 {
			if !skipGap {
				return
			}
			s.next = s.held[i].seq
		}
		seg := s.held[i]
		s.held = append(s.held[:i], s.held[i+1:]...)
		a.offer(s, seg)
	}
}

// earliest returns the index of the held segment with the lowest sequence
// number relative to next.
func (s *stream) earliest() int {
	best := 0
	for i := 1; i < len(s.held); i++ {
		if int32(s.held[i].seq-s.next) < int32(s.held[best].seq-s.next) {
			best = i
		}
	}
	return best
}

// flush emits every held segment, skipping gaps.
func (a *assembler) flush() {
	for _, dir := range a.order {
		a.drain(a.streams[dir], true)
	}
}

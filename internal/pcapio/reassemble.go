package pcapio

import (
	"bytes"
	"container/list"
	"net/netip"
	"time"
)

// rxSegment is one TCP segment read from a capture.
type rxSegment struct {
	seq           uint32
	syn, fin, rst bool
	missing       uint32 // payload bytes after pkt.Payload cut off by the snaplen
	pkt           Packet // Payload aliases the frame until held (cloned then)
}

type direction struct{ src, dst netip.AddrPort }

// stream is one direction of a TCP connection being put in order.
type stream struct {
	dir       direction
	next      uint32 // sequence number of the next byte to emit
	held      []rxSegment
	heldBytes int
	gap       bool // bytes were given up on: mark the next emitted Packet
	fin       bool // the FIN has been reached in order: the direction ended
	last      time.Time
	elem      *list.Element // in assembler.lru
}

// assembler puts each direction's TCP payloads in sequence order (RFC 9293
// §3.4 sequence arithmetic, modulo 2^32), dropping retransmitted bytes and
// empty segments. Without a SYN, a direction starts at its first segment.
// Its state is bounded by Limits: directions (least recently active evicted
// first), idle time, and held bytes per direction and in all.
type assembler struct {
	lim      Limits
	emit     func(Packet)
	ends     bool // emit End markers
	stats    *Stats
	streams  map[direction]*stream
	lru      *list.List // *stream, least recently active at the front
	buffered int        // held bytes of all directions
}

func newAssembler(lim Limits, stats *Stats, emit func(Packet)) *assembler {
	return &assembler{lim: lim.withDefaults(), emit: emit, stats: stats,
		streams: make(map[direction]*stream), lru: list.New()}
}

func (a *assembler) add(seg rxSegment, now time.Time) {
	dir := direction{seg.pkt.Src, seg.pkt.Dst}
	s := a.streams[dir]
	if seg.rst {
		// The connection is aborted: both directions end.
		if s != nil {
			a.end(s, true)
		}
		if r := a.streams[direction{dir.dst, dir.src}]; r != nil {
			a.end(r, true)
		}
		return
	}
	empty := len(seg.pkt.Payload) == 0 && seg.missing == 0
	switch {
	case seg.syn:
		// A SYN (re)starts the direction; its data begins after the SYN.
		if s != nil {
			a.end(s, true)
		}
		seg.seq++
		s = a.open(dir, seg.seq)
	case s == nil && empty && !seg.fin:
		return // a bare ACK of a direction not tracked: nothing to hold
	case s == nil:
		s = a.open(dir, seg.seq)
	}
	if s.fin && !empty && int32(seg.seq-s.next) >= 0 {
		// New bytes after the FIN: a new connection whose SYN is not in
		// the capture.
		a.end(s, false)
		s = a.open(dir, seg.seq)
	}
	s.last = now
	a.lru.MoveToBack(s.elem)
	if s.fin || (empty && !seg.fin) {
		return // after the FIN, retransmissions: the direction stays closed
	}
	a.offer(s, seg)
	a.drain(s, false)
	if !s.fin && (len(s.held) > a.lim.MaxHeldSegments || s.heldBytes > a.lim.MaxHeldBytes || a.buffered > a.lim.MaxBufferedBytes) {
		a.drain(s, true)
	}
	if s.fin {
		a.close(s)
	}
}

// close ends a direction at its FIN: what it holds (after the FIN) is
// dropped and its End marker emitted; it stays tracked, closed, so that
// retransmissions are not taken for a new direction.
func (a *assembler) close(s *stream) {
	a.buffered -= s.heldBytes
	s.held, s.heldBytes = nil, 0
	if a.ends {
		a.emit(Packet{Time: s.last, Proto: ProtoTCP, Src: s.dir.src, Dst: s.dir.dst, End: true})
	}
}

// open starts tracking dir, evicting the least recently active direction
// when MaxFlows are tracked already.
func (a *assembler) open(dir direction, next uint32) *stream {
	for len(a.streams) >= a.lim.MaxFlows {
		s := a.lru.Front().Value.(*stream)
		if !s.fin {
			a.stats.FlowsEvicted++
		}
		a.end(s, true)
	}
	s := &stream{dir: dir, next: next}
	s.elem = a.lru.PushBack(s)
	a.streams[dir] = s
	return s
}

// end stops tracking s; with flush, what it holds is emitted first (gaps
// given up on), else dropped. A direction closed by its FIN had its End
// marker already.
func (a *assembler) end(s *stream, flush bool) {
	if flush {
		a.drain(s, true)
	}
	a.buffered -= s.heldBytes
	s.held, s.heldBytes = nil, 0
	a.lru.Remove(s.elem)
	delete(a.streams, s.dir)
	if a.ends && !s.fin {
		a.emit(Packet{Time: s.last, Proto: ProtoTCP, Src: s.dir.src, Dst: s.dir.dst, End: true})
	}
}

// expire ends the directions idle for longer than FlowIdle before now.
func (a *assembler) expire(now time.Time) {
	for e := a.lru.Front(); e != nil; e = a.lru.Front() {
		s := e.Value.(*stream)
		if now.Sub(s.last) <= a.lim.FlowIdle {
			return
		}
		if !s.fin {
			a.stats.FlowsEvicted++
		}
		a.end(s, true)
	}
}

// offer emits the part of seg at or after s.next if seg starts at or before
// it, and holds seg back if it starts after.
func (a *assembler) offer(s *stream, seg rxSegment) {
	ahead := int32(seg.seq - s.next)
	if ahead > 0 {
		seg.pkt.Payload = bytes.Clone(seg.pkt.Payload)
		s.held = append(s.held, seg)
		s.heldBytes += len(seg.pkt.Payload)
		a.buffered += len(seg.pkt.Payload)
		return
	}
	payload := seg.pkt.Payload
	behind := int64(uint32(-ahead))
	switch {
	case behind >= int64(len(payload))+int64(seg.missing):
		// Entirely retransmitted (a FIN's sequence number is consumed).
		if seg.fin && behind == int64(len(payload))+int64(seg.missing) {
			s.next++
			s.fin = true
		}
		return
	case behind >= int64(len(payload)):
		payload = nil // only bytes the snaplen cut off are new
	default:
		payload = payload[behind:]
	}
	if len(payload) > 0 {
		p := seg.pkt
		p.Payload = bytes.Clone(payload)
		p.Gap, s.gap = s.gap, false
		p.Truncated = seg.missing > 0
		a.emit(p)
		s.next += uint32(len(payload))
	}
	if seg.missing > 0 {
		s.next = seg.seq + uint32(len(seg.pkt.Payload)) + seg.missing
		s.gap = true
	}
	if seg.fin {
		s.next++
		s.fin = true
	}
}

// drain emits held segments that have become due. With skipGap, missing
// bytes are given up on: held segments are emitted in sequence order.
func (a *assembler) drain(s *stream, skipGap bool) {
	for len(s.held) > 0 && !s.fin {
		i := s.earliest()
		if int32(s.held[i].seq-s.next) > 0 {
			if !skipGap {
				return
			}
			s.next = s.held[i].seq
			s.gap = true
			a.stats.TCPGaps++
		}
		seg := s.held[i]
		s.held = append(s.held[:i], s.held[i+1:]...)
		s.heldBytes -= len(seg.pkt.Payload)
		a.buffered -= len(seg.pkt.Payload)
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

// flush emits every held segment, skipping gaps, least recently active
// direction first, and forgets every direction.
func (a *assembler) flush() {
	for e := a.lru.Front(); e != nil; e = a.lru.Front() {
		a.end(e.Value.(*stream), true)
	}
}

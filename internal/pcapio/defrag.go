package pcapio

import (
	"container/list"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// maxDatagram is the largest reassembled IP payload: the 16-bit length and
// offset fields of IPv4 (RFC 791) and of the IPv6 fragment header (RFC
// 8200 §4.5, jumbograms are never fragmented).
const maxDatagram = 65535

// fragKey names one datagram being reassembled: RFC 791 §3.2 (source,
// destination, protocol, identification) and RFC 8200 §4.5 (source,
// destination, identification; proto is 0 for IPv6).
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    layers.IPProtocol
}

type fragPart struct {
	off  int
	data []byte
}

type fragDatagram struct {
	key   fragKey
	proto layers.IPProtocol
	parts []fragPart // sorted by off, not overlapping
	total int        // payload length, known once the last fragment came; -1 before
	last  time.Time
	elem  *list.Element
}

// defragmenter reassembles IPv4 and IPv6 fragments, bounded by
// Limits.MaxFragDatagrams and Limits.FragTimeout. Overlapping fragments
// drop their datagram (RFC 5722; an exact duplicate is ignored).
type defragmenter struct {
	lim   Limits
	stats *Stats
	m     map[fragKey]*fragDatagram
	lru   *list.List // *fragDatagram, least recently added to at the front
}

func newDefragmenter(lim Limits, stats *Stats) *defragmenter {
	return &defragmenter{lim: lim.withDefaults(), stats: stats, m: make(map[fragKey]*fragDatagram), lru: list.New()}
}

// add takes one fragment: its offset in bytes, whether more follow, and its
// bytes (copied). It returns the whole payload and its protocol once the
// datagram is complete.
func (f *defragmenter) add(key fragKey, proto layers.IPProtocol, off int, more bool, data []byte, now time.Time) ([]byte, layers.IPProtocol, bool) {
	f.stats.Fragments++
	f.expire(now)
	end := off + len(data)
	if len(data) == 0 || end > maxDatagram || (more && len(data)%8 != 0) {
		f.stats.FragmentsDropped++
		return nil, 0, false
	}
	d := f.m[key]
	if d == nil {
		for len(f.m) >= f.lim.MaxFragDatagrams {
			f.drop(f.lru.Front().Value.(*fragDatagram))
		}
		d = &fragDatagram{key: key, total: -1}
		d.elem = f.lru.PushBack(d)
		f.m[key] = d
	}
	d.last = now
	f.lru.MoveToBack(d.elem)
	for _, p := range d.parts {
		if off < p.off+len(p.data) && p.off < end {
			if p.off == off && len(p.data) == len(data) {
				f.stats.FragmentsDropped++ // a duplicate
				return nil, 0, false
			}
			f.stats.FragmentsDropped++
			f.drop(d)
			return nil, 0, false
		}
	}
	switch {
	case !more && d.total >= 0 && d.total != end, !more && len(d.parts) > 0 && d.parts[len(d.parts)-1].off+len(d.parts[len(d.parts)-1].data) > end,
		more && d.total >= 0 && end > d.total:
		f.stats.FragmentsDropped++
		f.drop(d) // inconsistent lengths
		return nil, 0, false
	case !more:
		d.total = end
	}
	if off == 0 {
		d.proto = proto
	}
	i, _ := slices.BinarySearchFunc(d.parts, off, func(p fragPart, off int) int { return p.off - off })
	d.parts = slices.Insert(d.parts, i, fragPart{off: off, data: append([]byte(nil), data...)})
	if d.total < 0 {
		return nil, 0, false
	}
	covered := 0
	for _, p := range d.parts {
		if p.off != covered {
			return nil, 0, false
		}
		covered += len(p.data)
	}
	if covered != d.total {
		return nil, 0, false
	}
	whole := make([]byte, 0, d.total)
	for _, p := range d.parts {
		whole = append(whole, p.data...)
	}
	f.remove(d)
	return whole, d.proto, true
}

// expire drops the datagrams last added to more than FragTimeout before now.
func (f *defragmenter) expire(now time.Time) {
	for e := f.lru.Front(); e != nil; e = f.lru.Front() {
		d := e.Value.(*fragDatagram)
		if now.Sub(d.last) <= f.lim.FragTimeout {
			return
		}
		f.drop(d)
	}
}

// flush drops every incomplete datagram (the capture ended).
func (f *defragmenter) flush() {
	for e := f.lru.Front(); e != nil; e = f.lru.Front() {
		f.drop(e.Value.(*fragDatagram))
	}
}

// drop forgets an incomplete datagram, counting its fragments as dropped.
func (f *defragmenter) drop(d *fragDatagram) {
	f.stats.FragmentsDropped += len(d.parts)
	f.remove(d)
}

func (f *defragmenter) remove(d *fragDatagram) {
	f.lru.Remove(d.elem)
	delete(f.m, d.key)
}

package pcapio

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// decoder turns frames into Packets, appended to out in capture order.
type decoder struct {
	out   []Packet
	stats *Stats
	frags *defragmenter
	tcp   *assembler
	now   time.Time // the latest capture time seen
}

func newDecoder(lim Limits, stats *Stats, ends bool) *decoder {
	d := &decoder{stats: stats, frags: newDefragmenter(lim, stats)}
	d.tcp = newAssembler(lim, stats, func(p Packet) { d.out = append(d.out, p) })
	d.tcp.ends = ends
	return d
}

// frame is one captured frame: its bytes (valid until the next frame), its
// time, and how many bytes of it the snaplen cut off.
type frame struct {
	data []byte
	ts   time.Time
	cut  int
}

func (d *decoder) add(f frame, lt layers.LinkType) {
	if f.ts.After(d.now) {
		d.now = f.ts
	}
	d.tcp.expire(d.now)
	pkt := gopacket.NewPacket(f.data, firstDecoder(lt), gopacket.DecodeOptions{NoCopy: true})
	if f.cut > 0 {
		d.stats.Cut++
	}
	if !d.walk(pkt.Layers(), netip.Addr{}, netip.Addr{}, f) {
		d.stats.Skipped++
	}
}

// walk finds the innermost UDP or TCP layer and the IP layer before it, so
// a tunnelled packet (VXLAN, IP in IP) yields its inner datagram. src and
// dst are the addresses in effect before the first layer. It reports
// whether the frame carried IP with UDP or TCP (or a fragment of it).
func (d *decoder) walk(ls []gopacket.Layer, src, dst netip.Addr, f frame) bool {
	var (
		tr         gopacket.Layer
		tsrc, tdst netip.Addr
		l4len      = -1    // transport bytes the IP header declares, after extension headers
		inIP       = false // between an IP layer and its transport layer
	)
	for _, l := range ls {
		switch v := l.(type) {
		case *layers.IPv4:
			src, dst = ipAddr(v.SrcIP), ipAddr(v.DstIP)
			l4len, inIP = int(v.Length)-int(v.IHL)*4, true
			if v.Flags&layers.IPv4MoreFragments != 0 || v.FragOffset != 0 {
				key := fragKey{src: src, dst: dst, id: uint32(v.Id), proto: v.Protocol}
				d.fragment(key, v.Protocol, int(v.FragOffset)*8, v.Flags&layers.IPv4MoreFragments != 0, v.Payload, f)
				return true
			}
			continue
		case *layers.IPv6:
			src, dst = ipAddr(v.SrcIP), ipAddr(v.DstIP)
			l4len, inIP = int(v.Length), true
			continue
		case *layers.IPv6Fragment:
			if v.FragmentOffset != 0 || v.MoreFragments {
				key := fragKey{src: src, dst: dst, id: v.Identification}
				d.fragment(key, v.NextHeader, int(v.FragmentOffset)*8, v.MoreFragments, v.Payload, f)
				return true
			}
		case *layers.UDP, *layers.TCP:
			tr, tsrc, tdst, inIP = l, src, dst, false
			continue
		}
		if inIP {
			l4len -= len(l.LayerContents()) // an IPv6 extension header
		}
	}
	if tr == nil || !tsrc.IsValid() || !tdst.IsValid() {
		return false
	}
	switch v := tr.(type) {
	case *layers.UDP:
		d.out = append(d.out, Packet{
			Time:      f.ts,
			Proto:     ProtoUDP,
			Src:       netip.AddrPortFrom(tsrc, uint16(v.SrcPort)),
			Dst:       netip.AddrPortFrom(tdst, uint16(v.DstPort)),
			Payload:   bytes.Clone(v.Payload),
			Truncated: f.cut > 0 && int(v.Length) > udpHeaderLen+len(v.Payload),
		})
	case *layers.TCP:
		seg := segmentOf(v, tsrc, tdst, f.ts)
		if missing := l4len - len(v.Contents) - len(v.Payload); f.cut > 0 && missing > 0 {
			seg.missing = uint32(min(missing, f.cut))
		}
		d.tcp.add(seg, d.now)
	}
	return true
}

// fragment feeds an IP fragment to the defragmenter and decodes the
// datagram once it is complete. A fragment cut by the snaplen is dropped
// (its datagram then times out).
func (d *decoder) fragment(key fragKey, proto layers.IPProtocol, off int, more bool, data []byte, f frame) {
	if f.cut > 0 {
		d.stats.Fragments++
		d.stats.FragmentsDropped++
		return
	}
	whole, proto, ok := d.frags.add(key, proto, off, more, data, d.now)
	if !ok {
		return
	}
	pkt := gopacket.NewPacket(whole, proto.LayerType(), gopacket.DecodeOptions{NoCopy: true})
	d.walk(pkt.Layers(), key.src, key.dst, frame{data: whole, ts: f.ts})
}

// finish flushes TCP payloads still held back and counts the fragments of
// datagrams never completed as dropped.
func (d *decoder) finish() {
	d.tcp.flush()
	d.frags.flush()
}

func segmentOf(t *layers.TCP, src, dst netip.Addr, ts time.Time) rxSegment {
	return rxSegment{
		seq: t.Seq,
		syn: t.SYN,
		fin: t.FIN,
		rst: t.RST,
		pkt: Packet{
			Time:    ts,
			Proto:   ProtoTCP,
			Src:     netip.AddrPortFrom(src, uint16(t.SrcPort)),
			Dst:     netip.AddrPortFrom(dst, uint16(t.DstPort)),
			Payload: t.Payload,
		},
	}
}

// ipAddr converts a decoded address; a malformed one gives the invalid Addr.
func ipAddr(ip []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a
}

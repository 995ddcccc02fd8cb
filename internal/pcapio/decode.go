package pcapio

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// decoder turns frames into Packets.
type decoder struct {
	out    []Packet
	defrag *ip4defrag.IPv4Defragmenter
	tcp    *assembler
}

func newDecoder() *decoder {
	d := &decoder{defrag: ip4defrag.NewIPv4Defragmenter()}
	d.tcp = newAssembler(func(p Packet) { d.out = append(d.out, p) })
	return d
}

func (d *decoder) add(data []byte, ts time.Time, lt layers.LinkType) {
	pkt := gopacket.NewPacket(data, firstDecoder(lt), gopacket.DecodeOptions{NoCopy: true})
	d.walk(pkt.Layers(), netip.Addr{}, netip.Addr{}, ts)
}

// walk finds the innermost UDP or TCP layer and the IP layer before it, so
// a tunnelled packet (VXLAN, IP in IP) yields its inner datagram. src and
// dst are the addresses in effect before the first layer.
func (d *decoder) walk(ls []gopacket.Layer, src, dst netip.Addr, ts time.Time) {
	var (
		tr         gopacket.Layer
		tsrc, tdst netip.Addr
	)
	for _, l := range ls {
		switch v := l.(type) {
		case *layers.IPv4:
			src, dst = ipAddr(v.SrcIP), ipAddr(v.DstIP)
			if v.Flags&layers.IPv4MoreFragments != 0 || v.FragOffset != 0 {
				d.reassemble(v, ts)
				return
			}
		case *layers.IPv6:
			src, dst = ipAddr(v.SrcIP), ipAddr(v.DstIP)
		case *layers.UDP, *layers.TCP:
			tr, tsrc, tdst = l, src, dst
		}
	}
	if tr == nil || !tsrc.IsValid() || !tdst.IsValid() {
		return
	}
	switch v := tr.(type) {
	case *layers.UDP:
		d.out = append(d.out, Packet{
			Time:    ts,
			Proto:   ProtoUDP,
			Src:     netip.AddrPortFrom(tsrc, uint16(v.SrcPort)),
			Dst:     netip.AddrPortFrom(tdst, uint16(v.DstPort)),
			Payload: bytes.Clone(v.Payload),
		})
	case *layers.TCP:
		d.tcp.add(segmentOf(v, tsrc, tdst, ts))
	}
}

// reassemble feeds an IPv4 fragment to the defragmenter and decodes the
// datagram once it is complete.
func (d *decoder) reassemble(frag *layers.IPv4, ts time.Time) {
	whole, err := d.defrag.DefragIPv4WithTimestamp(frag, ts)
	if err != nil || whole == nil {
		return
	}
	pkt := gopacket.NewPacket(whole.Payload, whole.Protocol.LayerType(), gopacket.DecodeOptions{NoCopy: true})
	d.walk(pkt.Layers(), ipAddr(whole.SrcIP), ipAddr(whole.DstIP), ts)
}

// finish flushes TCP payloads still held back and returns all packets.
func (d *decoder) finish() []Packet {
	d.tcp.flush()
	return d.out
}

func segmentOf(t *layers.TCP, src, dst netip.Addr, ts time.Time) rxSegment {
	return rxSegment{
		seq: t.Seq,
		syn: t.SYN,
		fin: t.FIN,
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

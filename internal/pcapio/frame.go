package pcapio

import (
	"encoding/binary"
	"hash/fnv"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

const (
	ipv4HeaderLen = 20
	udpHeaderLen  = 8
	tcpHeaderLen  = 20
	maxIPLen      = 65535
	ttl           = 64
	tcpWindow     = 65535
)

// framer serialises Ethernet/IP/UDP|TCP frames. Not safe for concurrent use;
// the Writer guards it. A returned frame is valid until the next call.
type framer struct {
	buf  gopacket.SerializeBuffer
	ipID uint16
}

func newFramer() framer { return framer{buf: gopacket.NewSerializeBuffer()} }

func (f *framer) udp(src, dst netip.AddrPort, payload []byte) ([]byte, error) {
	u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	return f.frame(src.Addr(), dst.Addr(), layers.IPProtocolUDP, u, u.SetNetworkLayerForChecksum, payload)
}

// tcpSegment is one TCP segment's header fields.
type tcpSegment struct {
	src, dst netip.AddrPort
	seq, ack uint32
	flags    tcpFlags
}

type tcpFlags uint8

const (
	tcpFIN tcpFlags = 1 << iota
	tcpSYN
	tcpRST
	tcpPSH
	tcpACK
)

func (f *framer) tcp(s tcpSegment, payload []byte) ([]byte, error) {
	t := &layers.TCP{
		SrcPort: layers.TCPPort(s.src.Port()),
		DstPort: layers.TCPPort(s.dst.Port()),
		Seq:     s.seq,
		Ack:     s.ack,
		FIN:     s.flags&tcpFIN != 0,
		SYN:     s.flags&tcpSYN != 0,
		RST:     s.flags&tcpRST != 0,
		PSH:     s.flags&tcpPSH != 0,
		ACK:     s.flags&tcpACK != 0,
		Window:  tcpWindow,
	}
	return f.frame(s.src.Addr(), s.dst.Addr(), layers.IPProtocolTCP, t, t.SetNetworkLayerForChecksum, payload)
}

// frame serialises Ethernet + IPv4/IPv6 + l4 + payload. src and dst must be
// of the same family (see normalisePair).
func (f *framer) frame(src, dst netip.Addr, proto layers.IPProtocol, l4 gopacket.SerializableLayer,
	setNet func(gopacket.NetworkLayer) error, payload []byte) ([]byte, error) {
	eth := &layers.Ethernet{SrcMAC: fakeMAC(src), DstMAC: fakeMAC(dst)}
	var ip gopacket.SerializableLayer
	if src.Is4() {
		f.ipID++
		v4 := &layers.IPv4{
			Version: 4, IHL: 5, TTL: ttl, Id: f.ipID, Flags: layers.IPv4DontFragment,
			Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice(),
		}
		eth.EthernetType = layers.EthernetTypeIPv4
		ip = v4
		if err := setNet(v4); err != nil {
			return nil, err
		}
	} else {
		v6 := &layers.IPv6{
			Version: 6, HopLimit: ttl, NextHeader: proto,
			SrcIP: src.AsSlice(), DstIP: dst.AsSlice(),
		}
		eth.EthernetType = layers.EthernetTypeIPv6
		ip = v6
		if err := setNet(v6); err != nil {
			return nil, err
		}
	}
	if err := f.buf.Clear(); err != nil {
		return nil, err
	}
	if err := gopacket.SerializeLayers(f.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, gopacket.Payload(payload)); err != nil {
		return nil, err
	}
	return f.buf.Bytes(), nil
}

// fakeMAC derives a stable, locally administered unicast MAC from addr so
// each host keeps one MAC throughout a capture.
func fakeMAC(addr netip.Addr) net.HardwareAddr {
	h := fnv.New64a()
	b := addr.As16()
	h.Write(b[:])
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], h.Sum64())
	return net.HardwareAddr{0x02, sum[0], sum[1], sum[2], sum[3], sum[4]}
}

// maxPayload is the largest transport payload one IP packet of addr's
// family carries.
func maxPayload(addr netip.Addr, l4Header int) int {
	if addr.Is4() {
		return maxIPLen - ipv4HeaderLen - l4Header
	}
	return maxIPLen - l4Header // the IPv6 payload length excludes its header
}

// normalisePair unmaps IPv4-mapped addresses, drops zones and makes both
// addresses one family: if one is IPv4 and the other IPv6, the IPv4 one is
// mapped into IPv6. An invalid address counts as the unspecified address.
func normalisePair(src, dst netip.AddrPort) (netip.AddrPort, netip.AddrPort) {
	s, d := normalise(src.Addr()), normalise(dst.Addr())
	if s.Is4() != d.Is4() {
		s, d = netip.AddrFrom16(s.As16()), netip.AddrFrom16(d.As16())
	}
	return netip.AddrPortFrom(s, src.Port()), netip.AddrPortFrom(d, dst.Port())
}

func normalise(a netip.Addr) netip.Addr {
	if !a.IsValid() {
		return netip.IPv4Unspecified()
	}
	return a.Unmap().WithZone("")
}

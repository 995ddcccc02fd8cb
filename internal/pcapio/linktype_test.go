package pcapio

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// serialize builds a frame from gopacket layers.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// sllHeader is a Linux cooked (SLL, DLT 113) header: packet type, ARPHRD,
// address length, address, protocol.
func sllHeader(proto layers.EthernetType) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:], 0) // to us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(h[14:], uint16(proto))
	return h
}

// sll2Header is a Linux cooked v2 (SLL2, DLT 276) header: protocol,
// reserved, interface index, ARPHRD, packet type, address length, address.
func sll2Header(proto layers.EthernetType) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], uint16(proto))
	binary.BigEndian.PutUint32(h[4:], 3) // ifindex
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = 0                            // to us
	h[11] = 6
	copy(h[12:], []byte{2, 0, 0, 0, 0, 1})
	return h
}

// loopHeader is a BSD loopback header: the address family in host order
// (null, DLT 0) or network order (loop, DLT 108).
func loopHeader(family uint32, order binary.AppendByteOrder) []byte {
	return order.AppendUint32(nil, family)
}

// TestReaderLinkTypes: every link type the Reader takes yields the UDP
// datagram inside, IPv4 and IPv6.
func TestReaderLinkTypes(t *testing.T) {
	src, dst := ap("192.0.2.1:5060"), ap("192.0.2.2:5080")
	src6, dst6 := ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5080")
	payload := []byte("OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n")
	raw4, raw6 := ethUDP(t, src, dst, payload)[14:], ethUDP(t, src6, dst6, payload)[14:]
	mac1, mac2 := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: et}
	}
	vlan := func(id uint16, et layers.EthernetType) *layers.Dot1Q {
		return &layers.Dot1Q{VLANIdentifier: id, Type: et}
	}
	cat := func(a, b []byte) []byte { return append(bytes.Clone(a), b...) }
	tests := []struct {
		name     string
		lt       layers.LinkType
		frame    []byte
		src, dst netip.AddrPort
	}{
		{"ethernet", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeIPv4), gopacket.Payload(raw4)), src, dst},
		{"802.1Q", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeDot1Q), vlan(100, layers.EthernetTypeIPv4), gopacket.Payload(raw4)), src, dst},
		{"802.1Q ipv6", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeDot1Q), vlan(100, layers.EthernetTypeIPv6), gopacket.Payload(raw6)), src6, dst6},
		{"QinQ 802.1ad", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeQinQ), vlan(10, layers.EthernetTypeDot1Q), vlan(20, layers.EthernetTypeIPv4), gopacket.Payload(raw4)), src, dst},
		{"QinQ double 802.1Q", layers.LinkTypeEthernet, serialize(t, eth(layers.EthernetTypeDot1Q), vlan(10, layers.EthernetTypeDot1Q), vlan(20, layers.EthernetTypeIPv6), gopacket.Payload(raw6)), src6, dst6},
		{"linux SLL", layers.LinkTypeLinuxSLL, cat(sllHeader(layers.EthernetTypeIPv4), raw4), src, dst},
		{"linux SLL ipv6", layers.LinkTypeLinuxSLL, cat(sllHeader(layers.EthernetTypeIPv6), raw6), src6, dst6},
		{"linux SLL2", layers.LinkTypeLinuxSLL2, cat(sll2Header(layers.EthernetTypeIPv4), raw4), src, dst},
		{"linux SLL2 ipv6", layers.LinkTypeLinuxSLL2, cat(sll2Header(layers.EthernetTypeIPv6), raw6), src6, dst6},
		{"raw", layers.LinkTypeRaw, raw4, src, dst},
		{"raw ipv6", layers.LinkTypeRaw, raw6, src6, dst6},
		{"ipv4", layers.LinkTypeIPv4, raw4, src, dst},
		{"ipv6", layers.LinkTypeIPv6, raw6, src6, dst6},
		{"BSD null", layers.LinkTypeNull, cat(loopHeader(2, binary.LittleEndian), raw4), src, dst},
		{"BSD null ipv6 (darwin)", layers.LinkTypeNull, cat(loopHeader(30, binary.LittleEndian), raw6), src6, dst6},
		{"BSD null ipv6 (freebsd)", layers.LinkTypeNull, cat(loopHeader(28, binary.LittleEndian), raw6), src6, dst6},
		{"BSD loop", layers.LinkTypeLoop, cat(loopHeader(2, binary.BigEndian), raw4), src, dst},
		{"BSD loop ipv6", layers.LinkTypeLoop, cat(loopHeader(24, binary.BigEndian), raw6), src6, dst6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st := readAllStats(t, classicPcap(t, tc.lt, tc.frame))
			if len(got) != 1 {
				t.Fatalf("read %d packets (%+v), want 1", len(got), st)
			}
			p := got[0]
			if p.Proto != ProtoUDP || p.Src != tc.src || p.Dst != tc.dst || !bytes.Equal(p.Payload, payload) {
				t.Errorf("packet = %s %s→%s %q", p.Proto, p.Src, p.Dst, p.Payload)
			}
			if st.Records != 1 || st.Packets != 1 || st.Skipped != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

// TestReaderSkipsOtherFrames: ARP and an unknown link type are counted as
// skipped, not returned, and do not stop the read.
func TestReaderSkipsOtherFrames(t *testing.T) {
	arp := serialize(t, &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: []byte{2, 0, 0, 0, 0, 1}, SourceProtAddress: []byte{192, 0, 2, 1},
			DstHwAddress: make([]byte, 6), DstProtAddress: []byte{192, 0, 2, 2}})
	udp := ethUDP(t, ap("192.0.2.1:5060"), ap("192.0.2.2:5060"), []byte("x"))
	got, st := readAllStats(t, classicPcap(t, layers.LinkTypeEthernet, arp, udp, []byte{1, 2, 3}))
	if len(got) != 1 || st.Skipped != 2 || st.Records != 3 {
		t.Errorf("got %d packets, stats %+v; want 1 packet, 2 skipped of 3 records", len(got), st)
	}
	got, st = readAllStats(t, classicPcap(t, layers.LinkType(147), udp)) // DLT_USER0
	if len(got) != 0 || st.Skipped != 1 {
		t.Errorf("unknown link type: %d packets, stats %+v", len(got), st)
	}
}

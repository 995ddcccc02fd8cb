package pcapio

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ethUDP builds one Ethernet/IP/UDP frame with the package's framer.
func ethUDP(t testing.TB, src, dst netip.AddrPort, payload []byte) []byte {
	t.Helper()
	f := newFramer()
	b, err := f.udp(src, dst, payload)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(b)
}

// classicPcap writes frames to a classic pcap stream of the given link type.
func classicPcap(t testing.TB, lt layers.LinkType, frames ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	pw := pcapgo.NewWriterNanos(&buf)
	if err := pw.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: epoch.Add(time.Duration(i) * time.Second), CaptureLength: len(f), Length: len(f)}
		if err := pw.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestReadFormatsAndLinkTypes(t *testing.T) {
	src, dst := ap("192.0.2.1:5060"), ap("192.0.2.2:5080")
	src6, dst6 := ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5080")
	payload := []byte("SIP/2.0 200 OK\r\n\r\n")
	eth4 := ethUDP(t, src, dst, payload)
	eth6 := ethUDP(t, src6, dst6, payload)
	raw4, raw6 := eth4[14:], eth6[14:]
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name     string
		data     []byte
		src, dst netip.AddrPort
	}{
		{"pcapng ethernet", sampleCapture(t), sampleUDP4A, sampleUDP4B},
		{"pcapng gzip", gz(sampleCapture(t)), sampleUDP4A, sampleUDP4B},
		{"pcap ethernet", classicPcap(t, layers.LinkTypeEthernet, eth4), src, dst},
		{"pcap raw ipv4", classicPcap(t, layers.LinkTypeRaw, raw4), src, dst},
		{"pcap raw ipv6", classicPcap(t, layers.LinkTypeRaw, raw6), src6, dst6},
		{"pcap linktype ipv4", classicPcap(t, layers.LinkTypeIPv4, raw4), src, dst},
		{"pcap linktype ipv6", classicPcap(t, layers.LinkTypeIPv6, raw6), src6, dst6},
		{"pcap gzip", gz(classicPcap(t, layers.LinkTypeEthernet, eth4)), src, dst},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				t.Fatal("no packets")
			}
			if got[0].Proto != ProtoUDP || got[0].Src != tc.src || got[0].Dst != tc.dst || len(SIPMessages(got[:1])) != 1 {
				t.Errorf("first packet = %s %s→%s %q", got[0].Proto, got[0].Src, got[0].Dst, got[0].Payload)
			}
		})
	}
}

func TestReadSample(t *testing.T) {
	got, err := Read(bytes.NewReader(sampleCapture(t)))
	if err != nil {
		t.Fatal(err)
	}
	// 4 UDP SIP + 3 TCP segments + 2*5 RTP.
	if len(got) != 4+3+2*sampleRTPCount {
		t.Fatalf("read %d packets", len(got))
	}
	sip := SIPMessages(got)
	// 4 over UDP, then the TCP request's first segment and the response;
	// the request's second segment and the RTP are not SIP.
	if len(sip) != 6 {
		t.Fatalf("SIPMessages = %d packets, want 6", len(sip))
	}
	var tcp []byte
	for _, p := range got {
		if p.Proto == ProtoTCP && p.Src == sampleTCPA {
			tcp = append(tcp, p.Payload...)
		}
	}
	if want := sipOptions(sampleTCPA, sampleTCPB, "TCP"); !bytes.Equal(tcp, want) {
		t.Errorf("TCP stream = %q, want %q", tcp, want)
	}
	if !got[1].Time.Equal(epoch.Add(20 * time.Millisecond)) {
		t.Errorf("second packet time = %v", got[1].Time)
	}
}

func TestReadErrors(t *testing.T) {
	sample := sampleCapture(t)
	tests := []struct {
		name    string
		data    []byte
		wantErr error
		minPkts int
	}{
		{"empty", nil, ErrUnknownFormat, 0},
		{"text", []byte("INVITE sip:x SIP/2.0\r\n"), ErrUnknownFormat, 0},
		{"truncated", sample[:len(sample)-30], io.ErrUnexpectedEOF, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(bytes.NewReader(tc.data))
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if len(got) < tc.minPkts {
				t.Errorf("got %d packets before the damage, want at least %d", len(got), tc.minPkts)
			}
		})
	}
}

// fragments splits one UDP/IPv4 datagram into IPv4 fragments of at most
// size payload bytes (a multiple of 8), returned out of order.
func fragments(t testing.TB, src, dst netip.AddrPort, payload []byte, size int) [][]byte {
	t.Helper()
	whole := ethUDP(t, src, dst, payload)[14:] // IPv4 header + UDP + payload
	body := whole[ipv4HeaderLen:]
	var frames [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		ip := &layers.IPv4{
			Version: 4, IHL: 5, TTL: 64, Id: 77, Protocol: layers.IPProtocolUDP,
			SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice(), FragOffset: uint16(off / 8),
		}
		if end < len(body) {
			ip.Flags = layers.IPv4MoreFragments
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, ip, gopacket.Payload(body[off:end])); err != nil {
			t.Fatal(err)
		}
		frames = append([][]byte{bytes.Clone(buf.Bytes())}, frames...)
	}
	return frames
}

func TestReadReassemblesIPv4Fragments(t *testing.T) {
	src, dst := ap("192.0.2.1:5060"), ap("192.0.2.2:5060")
	payload := []byte("INVITE sip:bob@example.com SIP/2.0\r\n" + strings.Repeat("a=x\r\n", 600))
	frames := fragments(t, src, dst, payload, 1480)
	if len(frames) < 3 {
		t.Fatalf("only %d fragments", len(frames))
	}
	got, err := Read(bytes.NewReader(classicPcap(t, layers.LinkTypeRaw, frames...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !bytes.Equal(got[0].Payload, payload) || got[0].Src != src || got[0].Dst != dst {
		t.Fatalf("got %d packets, want the reassembled datagram", len(got))
	}
}

func TestAssembler(t *testing.T) {
	a, b := ap("10.0.0.1:1000"), ap("10.0.0.2:5060")
	seg := func(seq uint32, data string, flags ...string) rxSegment {
		s := rxSegment{seq: seq, pkt: Packet{Proto: ProtoTCP, Src: a, Dst: b, Payload: []byte(data)}}
		for _, f := range flags {
			s.syn = s.syn || f == "S"
			s.fin = s.fin || f == "F"
		}
		return s
	}
	rev := func(s rxSegment) rxSegment { s.pkt.Src, s.pkt.Dst = s.pkt.Dst, s.pkt.Src; return s }
	tests := []struct {
		name string
		in   []rxSegment
		want []string
	}{
		{"in order", []rxSegment{seg(0, "", "S"), seg(1, "ab"), seg(3, "cd")}, []string{"ab", "cd"}},
		{"no syn", []rxSegment{seg(700, "ab"), seg(702, "cd")}, []string{"ab", "cd"}},
		{"out of order", []rxSegment{seg(0, "", "S"), seg(3, "cd"), seg(5, "ef"), seg(1, "ab")}, []string{"ab", "cd", "ef"}},
		{"retransmission dropped", []rxSegment{seg(1, "ab"), seg(1, "ab"), seg(3, "cd")}, []string{"ab", "cd"}},
		{"overlap trimmed", []rxSegment{seg(1, "ab"), seg(2, "bcd")}, []string{"ab", "cd"}},
		{"gap flushed at end", []rxSegment{seg(1, "ab"), seg(9, "zz")}, []string{"ab", "zz"}},
		{"sequence wraps", []rxSegment{seg(0xfffffffe, "ab"), seg(0, "cd")}, []string{"ab", "cd"}},
		{"fin consumes one", []rxSegment{seg(1, "ab", "F"), seg(4, "cd")}, []string{"ab", "cd"}},
		{"syn restarts", []rxSegment{seg(1, "ab"), seg(100, "", "S"), seg(101, "cd"), seg(3, "old")}, []string{"ab", "cd"}},
		{"directions independent", []rxSegment{seg(1, "ab"), rev(seg(50, "xy")), seg(3, "cd")}, []string{"ab", "xy", "cd"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			as := newAssembler(DefaultLimits(), &Stats{}, func(p Packet) { got = append(got, string(p.Payload)) })
			for _, s := range tc.in {
				as.add(s, epoch)
			}
			as.flush()
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAssemblerGivesUpOnLongGap(t *testing.T) {
	a, b := ap("10.0.0.1:1000"), ap("10.0.0.2:5060")
	var got []byte
	as := newAssembler(DefaultLimits(), &Stats{}, func(p Packet) { got = append(got, p.Payload...) })
	as.add(rxSegment{seq: 0, pkt: Packet{Src: a, Dst: b, Payload: []byte{0}}}, epoch)
	// Byte 1 is lost; later bytes are held until DefaultLimits().MaxHeldSegments is exceeded.
	for i := range uint32(DefaultLimits().MaxHeldSegments + 1) {
		as.add(rxSegment{seq: i + 2, pkt: Packet{Src: a, Dst: b, Payload: []byte{byte(i + 2)}}}, epoch)
	}
	if len(got) != DefaultLimits().MaxHeldSegments+2 {
		t.Fatalf("emitted %d bytes before the end, want %d", len(got), DefaultLimits().MaxHeldSegments+2)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != byte(i+1) {
			t.Fatalf("byte %d = %d, want %d", i, got[i], i+1)
		}
	}
}

func TestSIPMessages(t *testing.T) {
	tests := []struct {
		payload string
		want    bool
	}{
		{"INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n\r\n", true},
		{"OPTIONS sip:x sip/2.0\r\n", true},
		{"SIP/2.0 180 Ringing\r\n", true},
		{"\r\n\r\nBYE sip:x SIP/2.0\r\n", true},
		{"REGISTER sip:x SIP/2.0", true},
		{"\r\n\r\n", false},
		{"", false},
		{"SIP/2.0", false},
		{"SIP/2.0\r\n", false},
		{" SIP/2.0\r\n", false},
		{"HTTP/1.1 200 OK\r\n", false},
		{"GET / HTTP/1.1\r\n", false},
		{"\x80\x00\x01\x02 SIP/2.0 in an RTP payload\r\n", false},
	}
	for _, tc := range tests {
		pkts := []Packet{{Payload: []byte(tc.payload)}}
		if got := len(SIPMessages(pkts)) == 1; got != tc.want {
			t.Errorf("SIPMessages(%q) kept = %v, want %v", tc.payload, got, tc.want)
		}
	}
}

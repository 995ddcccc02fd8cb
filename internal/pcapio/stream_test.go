package pcapio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// rec is one record of a synthetic classic pcap: a frame, its time offset
// from epoch, and how many bytes of its end the snaplen cut off.
type rec struct {
	frame []byte
	at    time.Duration
	cut   int
}

// pcapOf writes recs to a classic pcap stream of link type lt.
func pcapOf(t testing.TB, lt layers.LinkType, recs ...rec) []byte {
	t.Helper()
	var buf bytes.Buffer
	pw := pcapgo.NewWriterNanos(&buf)
	if err := pw.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		data := r.frame[:len(r.frame)-r.cut]
		ci := gopacket.CaptureInfo{Timestamp: epoch.Add(r.at), CaptureLength: len(data), Length: len(r.frame)}
		if err := pw.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// tcpFrame is one Ethernet/IP/TCP frame; flags from "SFRA".
func tcpFrame(t testing.TB, src, dst netip.AddrPort, seq uint32, flags string, payload string) []byte {
	t.Helper()
	s := tcpSegment{src: src, dst: dst, seq: seq, flags: tcpACK}
	for _, f := range flags {
		s.flags |= map[rune]tcpFlags{'S': tcpSYN, 'F': tcpFIN, 'R': tcpRST, 'A': tcpACK}[f]
	}
	fr := newFramer()
	b, err := fr.tcp(s, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(b)
}

// describe renders packets as "src>dst:payload" with markers, for tables.
func describe(pkts []Packet) string {
	var parts []string
	for _, p := range pkts {
		s := fmt.Sprintf("%d>%d:%s", p.Src.Port(), p.Dst.Port(), p.Payload)
		if p.Gap {
			s = "gap," + s
		}
		if p.Truncated {
			s += ",cut"
		}
		if p.End {
			s += "end"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// TestReaderTCPBounds: the flow cap, the idle timeout, the held-bytes cap,
// FIN and RST, each ending a direction in order with its End marker.
func TestReaderTCPBounds(t *testing.T) {
	a, b, c, d := ap("10.0.0.1:1001"), ap("10.0.0.2:5060"), ap("10.0.0.3:1003"), ap("10.0.0.4:1004")
	udp := func(at time.Duration) rec { return rec{frame: ethUDP(t, a, b, []byte("u")), at: at} }
	seg := func(src, dst netip.AddrPort, seq uint32, flags, data string) rec {
		return rec{frame: tcpFrame(t, src, dst, seq, flags, data)}
	}
	tests := []struct {
		name   string
		limits Limits
		recs   []rec
		want   string
		check  func(Stats) bool
	}{
		{"fin ends", Limits{}, []rec{seg(a, b, 0, "S", ""), seg(a, b, 1, "", "x"), seg(a, b, 2, "F", ""), seg(b, a, 9, "", "y")},
			"1001>5060:x 1001>5060:end 5060>1001:y 5060>1001:end", func(s Stats) bool { return s.FlowsEvicted == 0 }},
		{"retransmission after fin dropped", Limits{}, []rec{seg(a, b, 1, "F", "x"), seg(a, b, 1, "", "x"), seg(a, b, 1, "F", "x")},
			"1001>5060:x 1001>5060:end", nil},
		{"syn after fin reopens", Limits{}, []rec{seg(a, b, 1, "F", "x"), seg(a, b, 100, "S", ""), seg(a, b, 101, "", "y")},
			"1001>5060:x 1001>5060:end 1001>5060:y 1001>5060:end", nil},
		{"closed directions evicted quietly", Limits{MaxFlows: 1}, []rec{seg(a, b, 1, "F", "x"), seg(c, b, 1, "", "y")},
			"1001>5060:x 1001>5060:end 1003>5060:y 1003>5060:end", func(s Stats) bool { return s.FlowsEvicted == 0 }},
		{"rst ends both", Limits{}, []rec{seg(a, b, 1, "", "x"), seg(b, a, 1, "", "y"), seg(b, a, 2, "R", "")},
			"1001>5060:x 5060>1001:y 5060>1001:end 1001>5060:end", nil},
		{"flow cap evicts oldest", Limits{MaxFlows: 2}, []rec{seg(a, b, 1, "", "x"), seg(c, b, 1, "", "y"), seg(a, b, 2, "", "z"), seg(d, b, 1, "", "w")},
			"1001>5060:x 1003>5060:y 1001>5060:z 1003>5060:end 1004>5060:w 1001>5060:end 1004>5060:end",
			func(s Stats) bool { return s.FlowsEvicted == 1 }},
		{"idle dropped", Limits{FlowIdle: time.Second}, []rec{seg(a, b, 1, "", "x"), udp(2 * time.Second), seg(a, b, 500, "", "y")},
			"1001>5060:x 1001>5060:end 1001>5060:u 1001>5060:y 1001>5060:end", func(s Stats) bool { return s.FlowsEvicted == 1 }},
		{"held bytes cap gives up the gap", Limits{MaxHeldBytes: 4}, []rec{seg(a, b, 1, "", "x"), seg(a, b, 3, "", "abc"), seg(a, b, 6, "", "de"), seg(a, b, 8, "", "f")},
			"1001>5060:x gap,1001>5060:abc 1001>5060:de 1001>5060:f 1001>5060:end", func(s Stats) bool { return s.TCPGaps == 1 }},
		{"held segments cap", Limits{MaxHeldSegments: 1}, []rec{seg(a, b, 1, "", "x"), seg(a, b, 3, "", "a"), seg(a, b, 4, "", "b")},
			"1001>5060:x gap,1001>5060:a 1001>5060:b 1001>5060:end", func(s Stats) bool { return s.TCPGaps == 1 }},
		{"buffered cap", Limits{MaxBufferedBytes: 3}, []rec{seg(a, b, 1, "", "x"), seg(c, b, 1, "", "y"), seg(a, b, 3, "", "aa"), seg(c, b, 3, "", "bb")},
			"1001>5060:x 1003>5060:y gap,1003>5060:bb gap,1001>5060:aa 1001>5060:end 1003>5060:end", func(s Stats) bool { return s.TCPGaps == 2 }},
		{"gap filled in time", Limits{}, []rec{seg(a, b, 1, "", "x"), seg(a, b, 3, "", "z"), seg(a, b, 2, "", "y")},
			"1001>5060:x 1001>5060:y 1001>5060:z 1001>5060:end", func(s Stats) bool { return s.TCPGaps == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st := readAllStats(t, pcapOf(t, layers.LinkTypeEthernet, tc.recs...), WithLimits(tc.limits), WithStreamEnds())
			if g := describe(got); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
			if tc.check != nil && !tc.check(st) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestReaderNoEndsByDefault: without WithStreamEnds, no End markers.
func TestReaderNoEndsByDefault(t *testing.T) {
	got, _ := readAllStats(t, sampleCapture(t))
	for _, p := range got {
		if p.End {
			t.Fatalf("End marker %+v without WithStreamEnds", p)
		}
	}
	got, _ = readAllStats(t, sampleCapture(t), WithStreamEnds())
	if n := strings.Count(describe(got), "end"); n != 2 {
		t.Errorf("%d End markers in the sample (one TCP connection closed both ways), want 2", n)
	}
}

// TestReaderSnaplen: a UDP datagram and a TCP segment cut by the snaplen
// are returned marked Truncated and counted; the TCP segment after the
// cut one is marked Gap and not held back.
func TestReaderSnaplen(t *testing.T) {
	a, b := ap("10.0.0.1:1001"), ap("10.0.0.2:5060")
	a6, b6 := ap("[2001:db8::1]:1006"), ap("[2001:db8::2]:5060")
	recs := []rec{
		{frame: ethUDP(t, a, b, []byte("0123456789abcdefghijklmnopqrstuvwxyz")), cut: 4},
		{frame: ethUDP(t, a, b, []byte("whole"))},
		{frame: tcpFrame(t, a, b, 1, "", "abcdef"), cut: 2},
		{frame: tcpFrame(t, a, b, 7, "", "gh")},
		{frame: tcpFrame(t, a, b, 9, "", ""), cut: 6}, // only the Ethernet padding cut
		{frame: tcpFrame(t, a, b, 9, "", "ij")},
		{frame: tcpFrame(t, a6, b6, 1, "", "klmnop"), cut: 3}, // IPv6
		{frame: tcpFrame(t, a6, b6, 7, "", "qr")},
	}
	got, st := readAllStats(t, pcapOf(t, layers.LinkTypeEthernet, recs...))
	want := "1001>5060:0123456789abcdefghijklmnopqrstuv,cut 1001>5060:whole 1001>5060:abcd,cut gap,1001>5060:gh 1001>5060:ij 1006>5060:klm,cut gap,1006>5060:qr"
	if g := describe(got); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
	if st.Cut != 4 || st.Records != 8 || st.Packets != 7 || st.TCPGaps != 0 {
		t.Errorf("stats %+v", st)
	}
}

// ipv6Fragments splits one UDP/IPv6 datagram into fragments of size bytes
// (a multiple of 8) with an IPv6 fragment header, last first.
func ipv6Fragments(t testing.TB, src, dst netip.AddrPort, payload []byte, size int, id uint32) [][]byte {
	t.Helper()
	body := ethUDP(t, src, dst, payload)[14+40:] // UDP header + payload
	var frames [][]byte
	for off := 0; off < len(body); off += size {
		end := min(off+size, len(body))
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		fh := &layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, FragmentOffset: uint16(off / 8), MoreFragments: end < len(body), Identification: id}
		frames = append([][]byte{serialize(t, ip, fh, gopacket.Payload(body[off:end]))}, frames...)
	}
	return frames
}

func TestReaderIPv6Fragments(t *testing.T) {
	src, dst := ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5060")
	payload := []byte("INVITE sip:bob@example.com SIP/2.0\r\n" + strings.Repeat("a=x\r\n", 600))
	frames := ipv6Fragments(t, src, dst, payload, 1232, 7)
	if len(frames) < 3 {
		t.Fatalf("only %d fragments", len(frames))
	}
	got, st := readAllStats(t, classicPcap(t, layers.LinkTypeRaw, frames...))
	if len(got) != 1 || !bytes.Equal(got[0].Payload, payload) || got[0].Src != src || got[0].Dst != dst {
		t.Fatalf("got %d packets (%s), want the reassembled datagram", len(got), describe(got))
	}
	if st.Fragments != len(frames) || st.FragmentsDropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestReaderFragmentBounds: the datagram cap, the timeout, overlaps and a
// fragment cut by the snaplen drop the datagram; counts say so.
func TestReaderFragmentBounds(t *testing.T) {
	src, dst := ap("192.0.2.1:5060"), ap("192.0.2.2:5060")
	payload := bytes.Repeat([]byte("y"), 100)
	f1 := fragments(t, src, dst, payload, 64) // two fragments, last first
	f6 := ipv6Fragments(t, ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5060"), payload, 64, 9)
	overlap := func() []byte { // f1's first fragment moved 8 bytes on: overlaps the second
		p := gopacket.NewPacket(f1[1], layers.LayerTypeIPv4, gopacket.Default)
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		ip.FragOffset = 1
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, gopacket.Payload(ip.Payload)); err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(buf.Bytes())
	}()
	tests := []struct {
		name      string
		limits    Limits
		recs      []rec
		wantPkts  int
		wantDrops int
	}{
		{"complete", Limits{}, []rec{{frame: f1[0]}, {frame: f1[1]}}, 1, 0},
		{"complete ipv6", Limits{}, []rec{{frame: f6[0]}, {frame: f6[1]}}, 1, 0},
		{"duplicate ignored", Limits{}, []rec{{frame: f1[0]}, {frame: f1[0]}, {frame: f1[1]}}, 1, 1},
		{"timeout", Limits{FragTimeout: time.Second}, []rec{{frame: f1[0]}, {frame: f1[1], at: 2 * time.Second}}, 0, 2},
		{"cap drops oldest", Limits{MaxFragDatagrams: 1}, []rec{{frame: f1[0]}, {frame: f6[0]}, {frame: f6[1]}, {frame: f1[1]}}, 1, 2},
		{"overlap drops", Limits{}, []rec{{frame: f1[0]}, {frame: overlap}, {frame: f1[1]}}, 0, 3},
		{"cut fragment", Limits{}, []rec{{frame: f1[0], cut: 8}, {frame: f1[1]}}, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st := readAllStats(t, pcapOf(t, layers.LinkTypeRaw, tc.recs...), WithLimits(tc.limits))
			if len(got) != tc.wantPkts || st.FragmentsDropped != tc.wantDrops {
				t.Errorf("got %d packets, %d fragments dropped (%+v); want %d, %d", len(got), st.FragmentsDropped, st, tc.wantPkts, tc.wantDrops)
			}
			for _, p := range got {
				if !bytes.Equal(p.Payload, payload) {
					t.Errorf("payload %q", p.Payload)
				}
			}
		})
	}
}

// TestReaderDamage: damaged captures give the packets before the damage,
// then an error that names the record and its byte offset; Next keeps
// returning that error.
func TestReaderDamage(t *testing.T) {
	a, b := ap("10.0.0.1:1001"), ap("10.0.0.2:5060")
	one, two := ethUDP(t, a, b, []byte("one")), ethUDP(t, a, b, []byte("two"))
	whole := classicPcap(t, layers.LinkTypeEthernet, one, two)
	second := 24 + 16 + len(one) // file header, record header, frame
	bigLen := bytes.Clone(whole)
	copy(bigLen[second+8:], []byte{0xff, 0xff, 0xff, 0x7f}) // caplen 2^31-1 (little endian)
	capOverLen := bytes.Clone(whole)
	capOverLen[second+12]-- // original length one less than the captured
	sample := sampleCapture(t)
	ngHuge := bytes.Clone(sample)
	last := lastBlock(t, sample)
	copy(ngHuge[last+4:], []byte{0, 0, 0, 0x40}) // the last packet block's length: 1 GiB
	tests := []struct {
		name    string
		data    []byte
		wantErr []error
		wantMsg string
	}{
		{"cut in record header", whole[:second+10], []error{ErrTruncated, io.ErrUnexpectedEOF}, fmt.Sprintf("read capture: record 2 at byte %d: ", second)},
		{"cut in frame", whole[:len(whole)-3], []error{ErrTruncated, io.ErrUnexpectedEOF}, fmt.Sprintf("read capture: record 2 at byte %d: ", second)},
		{"corrupt length", bigLen, []error{ErrRecordTooLarge}, fmt.Sprintf("read capture: record 2 at byte %d: record of 2147483647 bytes", second)},
		{"capture longer than packet", capOverLen, nil, fmt.Sprintf("read capture: record 2 at byte %d: capture length exceeds original packet length", second)},
		{"pcapng huge block", ngHuge, []error{ErrRecordTooLarge}, "read capture: record "},
		{"pcapng cut", sampleCapture(t)[:len(sampleCapture(t))-30], []error{ErrTruncated}, "read capture: record "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := NewReader(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			var n int
			for {
				_, err = rd.Next()
				if err != nil {
					break
				}
				n++
			}
			if n == 0 {
				t.Error("no packets before the damage")
			}
			if err == io.EOF || !strings.HasPrefix(err.Error(), tc.wantMsg) {
				t.Errorf("err = %v, want it to start %q", err, tc.wantMsg)
			}
			for _, w := range tc.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, not %v", err, w)
				}
			}
			if _, again := rd.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("Next after the error = %v", again)
			}
		})
	}
}

// TestReaderStats: the sample capture's counts.
func TestReaderStats(t *testing.T) {
	data := sampleCapture(t)
	got, st := readAllStats(t, data)
	// 4 UDP SIP + 3 TCP segments + 10 RTP; 3 handshake + 4 close frames.
	want := Stats{Records: 4 + 2*sampleRTPCount + 3 + 3 + 4, Bytes: int64(len(data)), Packets: len(got)}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestOpenFileNamesPath(t *testing.T) {
	_, _, err := OpenFile("testdata/none.pcapng")
	if err == nil || !strings.Contains(err.Error(), "testdata/none.pcapng") {
		t.Errorf("err = %v", err)
	}
}

// lastBlock returns the offset of the last block of a little-endian pcapng.
func lastBlock(t testing.TB, data []byte) int {
	t.Helper()
	off, last := 0, -1
	for off+8 <= len(data) {
		n := int(binary.LittleEndian.Uint32(data[off+4:]))
		if n < 12 {
			t.Fatalf("block at %d is %d bytes", off, n)
		}
		last, off = off, off+n
	}
	return last
}

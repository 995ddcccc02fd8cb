package pcapio

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"pbxlab/internal/clock"
)

type sent struct {
	proto    string
	src, dst netip.AddrPort
	payload  []byte
}

func TestRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 9000) // 144000 bytes: several TCP segments
	tests := []struct {
		name string
		in   []sent
		want []sent // nil: same as in
	}{
		{name: "udp ipv4", in: []sent{
			{ProtoUDP, ap("10.0.0.1:5060"), ap("10.0.0.2:5062"), []byte("OPTIONS sip:b SIP/2.0\r\n\r\n")},
			{ProtoUDP, ap("10.0.0.2:5062"), ap("10.0.0.1:5060"), []byte("SIP/2.0 200 OK\r\n\r\n")},
		}},
		{name: "udp ipv6", in: []sent{
			{ProtoUDP, ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5060"), []byte("hello")},
			{ProtoUDP, ap("[2001:db8::2]:5060"), ap("[2001:db8::1]:5060"), []byte{}},
		}},
		{name: "tcp ipv4", in: []sent{
			{ProtoTCP, ap("10.0.0.1:40000"), ap("10.0.0.2:5060"), []byte("INVITE sip:b SIP/2.0\r\n")},
			{ProtoTCP, ap("10.0.0.2:5060"), ap("10.0.0.1:40000"), []byte("SIP/2.0 100 Trying\r\n")},
			{ProtoTCP, ap("10.0.0.1:40000"), ap("10.0.0.2:5060"), []byte("ACK sip:b SIP/2.0\r\n")},
		}},
		{name: "tcp ipv6", in: []sent{
			{ProtoTCP, ap("[2001:db8::1]:40000"), ap("[2001:db8::2]:5060"), []byte("a")},
			{ProtoTCP, ap("[2001:db8::2]:5060"), ap("[2001:db8::1]:40000"), []byte("bc")},
		}},
		{name: "ipv4-mapped written as ipv4", in: []sent{
			{ProtoUDP, ap("[::ffff:10.0.0.1]:5060"), ap("[::ffff:10.0.0.2]:5060"), []byte("x")},
		}, want: []sent{
			{ProtoUDP, ap("10.0.0.1:5060"), ap("10.0.0.2:5060"), []byte("x")},
		}},
		{name: "mixed families written as ipv6", in: []sent{
			{ProtoUDP, ap("10.0.0.1:5060"), ap("[2001:db8::2]:5060"), []byte("x")},
		}, want: []sent{
			{ProtoUDP, ap("[::ffff:10.0.0.1]:5060"), ap("[2001:db8::2]:5060"), []byte("x")},
		}},
		{name: "zone dropped", in: []sent{
			{ProtoUDP, ap("[fe80::1%eth0]:5060"), ap("[fe80::2%eth0]:5060"), []byte("x")},
		}, want: []sent{
			{ProtoUDP, ap("[fe80::1]:5060"), ap("[fe80::2]:5060"), []byte("x")},
		}},
		{name: "large tcp payload split", in: []sent{
			{ProtoTCP, ap("10.0.0.1:40000"), ap("10.0.0.2:5060"), big},
		}, want: []sent{
			{ProtoTCP, ap("10.0.0.1:40000"), ap("10.0.0.2:5060"), big[:65495]},
			{ProtoTCP, ap("10.0.0.1:40000"), ap("10.0.0.2:5060"), big[65495:130990]},
			{ProtoTCP, ap("10.0.0.1:40000"), ap("10.0.0.2:5060"), big[130990:]},
		}},
		{name: "empty tcp payload ignored", in: []sent{
			{ProtoTCP, ap("10.0.0.1:40000"), ap("10.0.0.2:5060"), nil},
		}, want: []sent{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(epoch)
			var buf bytes.Buffer
			w, err := NewWriter(&buf, WithClock(clk))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.in {
				if s.proto == ProtoUDP {
					w.UDP(s.src, s.dst, s.payload)
				} else {
					w.TCP(s.src, s.dst, s.payload)
				}
				clk.Advance(time.Millisecond)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == nil {
				want = tc.in
			}
			if len(got) != len(want) {
				t.Fatalf("read %d packets, want %d: %+v", len(got), len(want), got)
			}
			for i, g := range got {
				w := want[i]
				if g.Proto != w.proto || g.Src != w.src || g.Dst != w.dst || !bytes.Equal(g.Payload, w.payload) {
					t.Errorf("packet %d = %s %s→%s %q, want %s %s→%s %.40q", i, g.Proto, g.Src, g.Dst, g.Payload, w.proto, w.src, w.dst, w.payload)
				}
				if g.Time.Before(epoch) || g.Time.After(epoch.Add(time.Duration(len(tc.in))*time.Millisecond)) {
					t.Errorf("packet %d time %v outside the fake clock's range", i, g.Time)
				}
			}
		})
	}
}

// frames reads the raw TCP layers of a capture, for checks on flags and
// sequence numbers that Read hides.
func tcpFrames(t *testing.T, data []byte) []*layers.TCP {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	var out []*layers.TCP
	for {
		frame, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		p := gopacket.NewPacket(frame, layers.LinkTypeEthernet, gopacket.Default)
		if tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			out = append(out, tcp)
		}
	}
	return out
}

func flagString(t *layers.TCP) string {
	s := ""
	for _, f := range []struct {
		on   bool
		name string
	}{{t.SYN, "S"}, {t.FIN, "F"}, {t.PSH, "P"}, {t.ACK, "."}} {
		if f.on {
			s += f.name
		}
	}
	return s
}

func TestTCPFlowLifecycle(t *testing.T) {
	a, b := ap("10.0.0.1:40000"), ap("10.0.0.2:5060")
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.TCP(a, b, []byte("hello"))
	w.TCP(b, a, []byte("hi"))
	w.TCPClose(b, a)
	w.TCPClose(b, a) // second close of the same side: nothing
	w.TCPClose(a, b)
	w.TCP(a, b, []byte("again")) // addresses reused: a new handshake
	w.tcpTeardown(a, b)
	w.tcpTeardown(a, b) // unknown flow: nothing
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	type seg struct {
		flags    string
		fromA    bool
		seq, ack uint32
		n        int
	}
	want := []seg{
		{"S", true, 1000, 0, 0}, {"S.", false, 5000, 1001, 0}, {".", true, 1001, 5001, 0},
		{"P.", true, 1001, 5001, 5}, {"P.", false, 5001, 1006, 2},
		{"F.", false, 5003, 1006, 0}, {".", true, 1006, 5004, 0},
		{"F.", true, 1006, 5004, 0}, {".", false, 5004, 1007, 0},
		{"S", true, 1000, 0, 0}, {"S.", false, 5000, 1001, 0}, {".", true, 1001, 5001, 0},
		{"P.", true, 1001, 5001, 5},
		{"F.", true, 1006, 5001, 0}, {".", false, 5001, 1007, 0},
		{"F.", false, 5001, 1007, 0}, {".", true, 1007, 5002, 0},
	}
	got := tcpFrames(t, buf.Bytes())
	if len(got) != len(want) {
		t.Fatalf("got %d TCP frames, want %d", len(got), len(want))
	}
	for i, g := range got {
		s := seg{flagString(g), g.SrcPort == 40000, g.Seq, g.Ack, len(g.Payload)}
		if s != want[i] {
			t.Errorf("frame %d = %+v, want %+v", i, s, want[i])
		}
	}
}

func TestNilWriterIsNoOp(t *testing.T) {
	var w *Writer
	a, b := ap("10.0.0.1:1"), ap("10.0.0.2:2")
	w.UDP(a, b, []byte("x"))
	w.TCP(a, b, []byte("x"))
	w.TCPClose(a, b)
	w.tcpOpen(a, b)
	w.tcpTeardown(a, b)
	if err := w.Flush(); err != nil {
		t.Errorf("Flush = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if WrapPacketConn(nil, w) != nil || WrapListener(nil, w) != nil || WrapConn(nil, w) != nil {
		t.Error("wrapping nil with a nil writer did not return nil")
	}
}

// failAfter fails every write once n bytes have been written.
type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterStopsAtFirstError(t *testing.T) {
	w, err := NewWriter(&failAfter{n: 200})
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 1000)
	for range 10 {
		w.UDP(ap("10.0.0.1:1"), ap("10.0.0.2:2"), payload) // bufio flushes: the write fails
	}
	if err := w.Flush(); !errors.Is(err, errDiskFull) {
		t.Errorf("Flush = %v, want %v", err, errDiskFull)
	}
	w.TCP(ap("10.0.0.1:1"), ap("10.0.0.2:2"), payload) // ignored, no panic
	if err := w.Close(); !errors.Is(err, errDiskFull) {
		t.Errorf("Close = %v, want %v", err, errDiskFull)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestOversizedUDPSkipped(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.UDP(ap("10.0.0.1:1"), ap("10.0.0.2:2"), make([]byte, 65535-28+1))
	w.UDP(ap("10.0.0.1:1"), ap("10.0.0.2:2"), make([]byte, 65535-28))
	w.UDP(ap("[::1]:1"), ap("[::1]:2"), make([]byte, 65535-8))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].Payload) != 65507 || len(got[1].Payload) != 65527 {
		t.Fatalf("got %d packets, want the 2 that fit", len(got))
	}
}

func TestCreateMakesDirectoriesAndCloses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs", "today", "call.pcapng")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.UDP(ap("10.0.0.1:5060"), ap("10.0.0.2:5060"), []byte("SIP/2.0 200 OK\r\n\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.UDP(ap("10.0.0.1:5060"), ap("10.0.0.2:5060"), []byte("after close")) // ignored
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0].Payload) != "SIP/2.0 200 OK\r\n\r\n" {
		t.Fatalf("ReadFile = %+v", got)
	}
	if _, err := Create(filepath.Join(path, "x.pcapng")); err == nil {
		t.Error("Create under a file succeeded")
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.pcapng")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want ErrNotExist", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 50
	done := make(chan struct{})
	for g := range goroutines {
		go func() {
			defer func() { done <- struct{}{} }()
			src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(40000+g))
			dst := ap("10.0.0.2:5060")
			for i := range each {
				w.UDP(src, dst, []byte{byte(i)})
				w.TCP(src, dst, []byte{byte(i)})
			}
		}()
	}
	for range goroutines {
		<-done
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	perFlow := map[string][]byte{}
	for _, p := range got {
		k := p.Proto + p.Src.String()
		perFlow[k] = append(perFlow[k], p.Payload...)
	}
	if len(perFlow) != 2*goroutines {
		t.Fatalf("got %d flows, want %d", len(perFlow), 2*goroutines)
	}
	for k, b := range perFlow {
		for i := range each {
			if len(b) != each || b[i] != byte(i) {
				t.Fatalf("flow %s payloads %v out of order or missing", k, b)
			}
		}
	}
}

package sipwire

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"pbxlab/internal/clock"
	"pbxlab/internal/pcapio"
)

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// capture records fn's packets to a pcapng held in memory.
func capture(t testing.TB, fn func(w *pcapio.Writer, clk *clock.Fake)) []byte {
	t.Helper()
	var buf bytes.Buffer
	clk := clock.NewFake(epoch)
	w, err := pcapio.NewWriter(&buf, pcapio.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	fn(w, clk)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// recut rewrites a pcapng as a classic pcap in which frame i (from 0) has
// its last cuts[i] bytes cut off, as a snaplen would.
func recut(t testing.TB, data []byte, cuts map[int]int) []byte {
	t.Helper()
	ng, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	pw := pcapgo.NewWriterNanos(&out)
	if err := pw.WriteFileHeader(65535, ng.LinkType()); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		frame, ci, err := ng.ReadPacketData()
		if err == io.EOF {
			return out.Bytes()
		}
		if err != nil {
			t.Fatal(err)
		}
		frame = frame[:len(frame)-cuts[i]]
		ci.CaptureLength = len(frame)
		if err := pw.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
}

func rtpish(seq byte) []byte {
	return append([]byte{0x80, 0, 0, seq}, bytes.Repeat([]byte{0xff}, 160)...)
}

// scanAll runs a Scanner to the end and returns the messages' labels and
// the Stats.
func scanAll(t testing.TB, data []byte, opts ...pcapio.ReaderOption) ([]string, Stats, error) {
	t.Helper()
	sc, err := NewScanner(bytes.NewReader(data), opts...)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for {
		m, err := sc.Next()
		if errors.Is(err, io.EOF) {
			return labels, sc.Stats(), nil
		}
		if err != nil {
			return labels, sc.Stats(), err
		}
		labels = append(labels, label(m))
	}
}

func label(m Message) string {
	name := "?"
	if r, ok := m.Msg.(interface{ StartLine() string }); ok {
		name, _, _ = strings.Cut(r.StartLine(), " ")
	}
	return name + " " + m.Msg.CallID().Value() + " " + m.Proto
}

// TestScannerStats: what is read, parsed and skipped, and why, for UDP and
// TCP, including messages the snaplen cut.
func TestScannerStats(t *testing.T) {
	tcpPhone := netip.MustParseAddrPort("127.0.0.1:40002")
	var frameOfCutUDP, frameOfCutTCP int
	data := capture(t, func(w *pcapio.Writer, clk *clock.Fake) {
		w.UDP(phone, pbx, []byte(request("INVITE", "u1", 1)))                          // frame 0
		w.UDP(phone, pbx, rtpish(1))                                                   // 1
		w.UDP(phone, pbx, []byte("\r\n\r\n"))                                          // 2
		w.UDP(phone, pbx, []byte("INVITE sip:x SIP/2.0\r\nContent-Length: x\r\n\r\n")) // 3
		w.UDP(phone, pbx, []byte(request("BYE", "u2", 2)))                             // 4: cut below
		frameOfCutUDP = 4
		w.TCP(tcpPhone, pbx, []byte(request("OPTIONS", "t1", 1))) // 5,6,7 handshake, 8
		w.TCP(tcpPhone, pbx, []byte(request("OPTIONS", "t2", 2))) // 9: cut below
		frameOfCutTCP = 9
		w.TCP(tcpPhone, pbx, []byte(request("OPTIONS", "t3", 3))) // 10
		w.TCP(tcpPhone, pbx, []byte("\r\n\r\n"))                  // 11: keep-alive
		part := request("OPTIONS", "t4", 4)
		w.TCP(tcpPhone, pbx, []byte(part[:30])) // 12: capture ends mid-message
	})
	data = recut(t, data, map[int]int{frameOfCutUDP: 20, frameOfCutTCP: 20})
	labels, st, err := scanAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"INVITE u1 udp", "OPTIONS t1 tcp", "OPTIONS t3 tcp"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Errorf("messages %q, want %q", labels, want)
	}
	if st.Messages != 3 || st.NotSIP != 2 || st.Cut != 3 || st.Unparsable != 1 || st.Stats.Cut != 2 || st.Records != 13 {
		t.Errorf("stats %+v; want 3 messages, 2 not SIP, 3 cut (UDP, TCP, end), 1 unparsable, 2 cut frames of 13", st)
	}
}

// TestScannerNoSIP: a capture of RTP only reads without error and says so.
func TestScannerNoSIP(t *testing.T) {
	data := capture(t, func(w *pcapio.Writer, _ *clock.Fake) {
		for i := range byte(10) {
			w.UDP(phone, pbx, rtpish(i))
		}
	})
	labels, st, err := scanAll(t, data)
	if err != nil || len(labels) != 0 || st.NotSIP != 10 || st.Messages != 0 {
		t.Errorf("%d messages, %+v, %v", len(labels), st, err)
	}
}

// TestScanDamageAndCallback: Scan returns fn's error as is, and a damaged
// or gzip'd capture as Read does.
func TestScanDamageAndCallback(t *testing.T) {
	data := capture(t, func(w *pcapio.Writer, _ *clock.Fake) {
		for i := range 5 {
			w.UDP(phone, pbx, []byte(request("OPTIONS", fmt.Sprint("c", i), i+1)))
		}
	})
	stop := errors.New("stop")
	n := 0
	err := Scan(bytes.NewReader(data), func(Message) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Scan with a failing fn: %v after %d messages", err, n)
	}
	n = 0
	err = Scan(bytes.NewReader(data[:len(data)-10]), func(Message) error { n++; return nil })
	if !errors.Is(err, pcapio.ErrTruncated) || n != 4 || !strings.Contains(err.Error(), "record 5 at byte") {
		t.Errorf("cut capture: %v after %d messages", err, n)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	msgs, err := ReadBytes(gz.Bytes())
	if err != nil || len(msgs) != 5 {
		t.Errorf("gzip'd capture: %d messages, %v", len(msgs), err)
	}
	if err := ScanFile("testdata/none.pcapng", func(Message) error { return nil }); err == nil || !strings.Contains(err.Error(), "none.pcapng") {
		t.Errorf("missing file: %v", err)
	}
}

// TestScannerParsersBounded: with many TCP directions each in the middle of
// a message, the Scanner holds no more stream parsers than pcapio tracks
// directions, and the evicted ones count as cut.
func TestScannerParsersBounded(t *testing.T) {
	const conns, maxFlows = 50, 8
	data := capture(t, func(w *pcapio.Writer, _ *clock.Fake) {
		for i := range conns {
			src := netip.AddrPortFrom(phone.Addr(), uint16(41000+i))
			w.TCP(src, pbx, []byte(request("OPTIONS", fmt.Sprint("b", i), 1)[:40]))
		}
	})
	sc, err := NewScanner(bytes.NewReader(data), pcapio.WithLimits(pcapio.Limits{MaxFlows: maxFlows}))
	if err != nil {
		t.Fatal(err)
	}
	most := 0
	for {
		_, err := sc.Next()
		most = max(most, len(sc.conv.streams))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	st := sc.Stats()
	if most > maxFlows || st.Cut != conns || len(sc.conv.streams) != 0 {
		t.Errorf("at most %d parsers (limit %d), %d cut (want %d), %d left; %+v", most, maxFlows, st.Cut, conns, len(sc.conv.streams), st)
	}
}

// callCapture is a small capture of SIP over UDP and TCP with RTP.
func callCapture(t testing.TB) []byte {
	tcpPhone := netip.MustParseAddrPort("127.0.0.1:40002")
	return capture(t, func(w *pcapio.Writer, clk *clock.Fake) {
		w.UDP(phone, pbx, []byte(request("INVITE", "f1", 1)))
		for i := range byte(3) {
			w.UDP(phone, pbx, rtpish(i))
			clk.Advance(20 * time.Millisecond)
		}
		bye := request("BYE", "f2", 2)
		w.TCP(tcpPhone, pbx, []byte(request("OPTIONS", "f2", 1)+bye[:25]))
		w.TCP(tcpPhone, pbx, []byte(bye[25:]))
		w.TCPClose(tcpPhone, pbx)
	})
}

// FuzzScan: a capture is a user's file; whatever its bytes, Scan never
// panics, every message is parsed, the counts add up, and Read agrees.
func FuzzScan(f *testing.F) {
	call := callCapture(f)
	f.Add(call)
	f.Add(recut(f, call, map[int]int{0: 30, 8: 10}))
	f.Add(call[:len(call)-20])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := NewScanner(bytes.NewReader(data), pcapio.WithLimits(pcapio.Limits{MaxFlows: 2, MaxHeldSegments: 2}))
		if err != nil {
			return
		}
		n := 0
		var scanErr error
		for {
			m, err := sc.Next()
			if err != nil {
				if err != io.EOF {
					scanErr = err
				}
				break
			}
			if m.Msg == nil || (m.Proto != pcapio.ProtoUDP && m.Proto != pcapio.ProtoTCP) {
				t.Fatalf("message %+v", m)
			}
			n++
		}
		st := sc.Stats()
		if st.Messages != n || len(sc.conv.streams) != 0 {
			t.Fatalf("%d messages, stats %+v, %d parsers left", n, st, len(sc.conv.streams))
		}
		// The limits change what TCP yields, not where the capture breaks.
		if _, err := ReadBytes(data); (err == nil) != (scanErr == nil) {
			t.Fatalf("Read: %v; Scanner: %v", err, scanErr)
		}
	})
}

// BenchmarkScan streams a small call capture (SIP over UDP and TCP, RTP).
func BenchmarkScan(b *testing.B) {
	data := capture(b, func(w *pcapio.Writer, clk *clock.Fake) {
		writeDialogs(w, clk, 0, 20)
	})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Scan(bytes.NewReader(data), func(Message) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func TestStatsString(t *testing.T) {
	tests := []struct {
		st   Stats
		want string
	}{
		{Stats{}, "0 records, 0 SIP messages"},
		{Stats{Stats: pcapio.Stats{Records: 12}, Messages: 4}, "12 records, 4 SIP messages"},
		{Stats{Stats: pcapio.Stats{Records: 12, TCPGaps: 1}, Messages: 4, Cut: 3, NotSIP: 5},
			"12 records, 4 SIP messages; left out: 3 SIP messages cut (snaplen or missing bytes), 5 datagrams not SIP, 1 TCP gaps given up on"},
	}
	for _, tc := range tests {
		if got := tc.st.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// TestTCPMessageUnderWay: a TCP direction's leftovers count as a cut
// message only when a message was under way, not for CRLF keep-alives;
// a message whose blank line comes in the next segment is whole.
func TestTCPMessageUnderWay(t *testing.T) {
	msg := request("OPTIONS", "m1", 1)
	headers := strings.TrimSuffix(request("OPTIONS", "m2", 2), "\r\n") // all but the blank line
	seg := func(s string) pcapio.Packet {
		return pcapio.Packet{Proto: pcapio.ProtoTCP, Src: phone, Dst: pbx, Payload: []byte(s)}
	}
	gap := func(s string) pcapio.Packet { p := seg(s); p.Gap = true; return p }
	end := pcapio.Packet{Proto: pcapio.ProtoTCP, Src: phone, Dst: pbx, End: true}
	tests := []struct {
		name                  string
		in                    []pcapio.Packet
		msgs, cut, unparsable int
	}{
		{"whole", []pcapio.Packet{seg(msg), end}, 1, 0, 0},
		{"keep-alive after, same segment", []pcapio.Packet{seg(msg + "\r\n\r\n"), end}, 1, 0, 0},
		{"keep-alive alone", []pcapio.Packet{seg("\r\n\r\n"), seg(msg), seg("\r\n"), end}, 1, 0, 0},
		{"headers then end", []pcapio.Packet{seg(msg + headers), end}, 1, 1, 0},
		{"blank line in the next segment", []pcapio.Packet{seg(msg + headers), seg("\r\n"), end}, 2, 0, 0},
		{"split mid line", []pcapio.Packet{seg(msg[:7]), seg(msg[7:]), end}, 1, 0, 0},
		{"gap in a message", []pcapio.Packet{seg(msg[:30]), gap(msg), end}, 1, 1, 0},
		{"gap between messages", []pcapio.Packet{seg(msg), gap(msg), end}, 2, 0, 0},
		{"garbage then a message", []pcapio.Packet{seg("\x00\x01garbage\r\n\r\n"), seg(msg), end}, 1, 0, 1},
		{"capture ends mid-message", []pcapio.Packet{seg(msg[:30])}, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newConverter()
			for _, p := range tc.in {
				c.packet(p)
			}
			c.closeAll()
			if len(c.out) != tc.msgs || c.stats.Cut != tc.cut || c.stats.Unparsable != tc.unparsable || c.stats.Messages != tc.msgs {
				t.Errorf("%d messages, stats %+v; want %d messages, %d cut, %d unparsable", len(c.out), c.stats, tc.msgs, tc.cut, tc.unparsable)
			}
		})
	}
}

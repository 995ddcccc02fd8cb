package pcapio

import (
	"bytes"
	"io"
	"net/netip"
	"pbxlab/internal/leakcheck"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"pbxlab/internal/clock"
)

// checkGoroutines fails t if goroutines outlive it (see internal/leakcheck).
func checkGoroutines(t *testing.T) { t.Helper(); leakcheck.Check(t) }

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// sipOptions is an OPTIONS request from src to dst.
func sipOptions(src, dst netip.AddrPort, transport string) []byte {
	host := func(a netip.AddrPort) string { return a.String() }
	return []byte(strings.Join([]string{
		"OPTIONS sip:" + host(dst) + " SIP/2.0",
		"Via: SIP/2.0/" + transport + " " + host(src) + ";branch=z9hG4bK-" + transport,
		"Max-Forwards: 70",
		"From: <sip:alice@" + host(src) + ">;tag=a1",
		"To: <sip:" + host(dst) + ">",
		"Call-ID: call-" + transport + "@pbxlab",
		"CSeq: 1 OPTIONS",
		"Content-Length: 0",
		"", "",
	}, "\r\n"))
}

// sipOK is the 200 OK answering an OPTIONS from src (the client) to dst.
func sipOK(src, dst netip.AddrPort, transport string) []byte {
	req := string(sipOptions(src, dst, transport))
	_, headers, _ := strings.Cut(req, "\r\n")
	headers = strings.Replace(headers, "To: <sip:"+dst.String()+">", "To: <sip:"+dst.String()+">;tag=b2", 1)
	return []byte("SIP/2.0 200 OK\r\n" + headers)
}

// rtpPacket is a PCMU packet with 160 bytes of silence.
func rtpPacket(t testing.TB, seq uint16) []byte {
	t.Helper()
	p := rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 0x11223344},
		Payload: bytes.Repeat([]byte{0xff}, 160),
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatalf("marshal rtp: %v", err)
	}
	return b
}

// Addresses of the sample capture.
var (
	sampleUDP4A = ap("192.0.2.10:5060")
	sampleUDP4B = ap("192.0.2.20:5060")
	sampleUDP6A = ap("[2001:db8::10]:5060")
	sampleUDP6B = ap("[2001:db8::20]:5060")
	sampleTCPA  = ap("192.0.2.10:40000")
	sampleTCPB  = ap("192.0.2.20:5060")
	sampleRTPA  = ap("192.0.2.10:20000")
	sampleRTPB  = ap("192.0.2.20:30000")
)

const sampleRTPCount = 5

// writeSample records a small deterministic call-like capture: OPTIONS and
// 200 OK over UDP/IPv4, UDP/IPv6 and TCP/IPv4 (the TCP request split in two
// segments), RTP both ways, and a TCP close. Packets are 20 ms apart.
func writeSample(t testing.TB, w *Writer, clk *clock.Fake) {
	t.Helper()
	step := func() { clk.Advance(20 * time.Millisecond) }
	w.UDP(sampleUDP4A, sampleUDP4B, sipOptions(sampleUDP4A, sampleUDP4B, "UDP"))
	step()
	w.UDP(sampleUDP4B, sampleUDP4A, sipOK(sampleUDP4A, sampleUDP4B, "UDP"))
	step()
	w.UDP(sampleUDP6A, sampleUDP6B, sipOptions(sampleUDP6A, sampleUDP6B, "UDP"))
	step()
	w.UDP(sampleUDP6B, sampleUDP6A, sipOK(sampleUDP6A, sampleUDP6B, "UDP"))
	step()
	req := sipOptions(sampleTCPA, sampleTCPB, "TCP")
	w.TCP(sampleTCPA, sampleTCPB, req[:40])
	step()
	w.TCP(sampleTCPA, sampleTCPB, req[40:])
	step()
	w.TCP(sampleTCPB, sampleTCPA, sipOK(sampleTCPA, sampleTCPB, "TCP"))
	step()
	for i := range uint16(sampleRTPCount) {
		w.UDP(sampleRTPA, sampleRTPB, rtpPacket(t, 100+i))
		w.UDP(sampleRTPB, sampleRTPA, rtpPacket(t, 500+i))
		step()
	}
	w.TCPClose(sampleTCPA, sampleTCPB)
	w.TCPClose(sampleTCPB, sampleTCPA)
}

// sampleCapture returns the bytes of the sample capture.
func sampleCapture(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	clk := clock.NewFake(epoch)
	w, err := NewWriter(&buf, WithClock(clk))
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	writeSample(t, w, clk)
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// readAllStats streams a capture through a Reader with opts and returns its
// Packets and final Stats; it fails t on any error.
func readAllStats(t testing.TB, data []byte, opts ...ReaderOption) ([]Packet, Stats) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(data), opts...)
	if err != nil {
		t.Fatal(err)
	}
	var out []Packet
	for {
		p, err := rd.Next()
		if err == io.EOF {
			return out, rd.Stats()
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
}
